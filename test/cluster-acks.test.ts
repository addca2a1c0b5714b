import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../server/storage/migrator.js';
import { openStorage } from '../server/storage/open.js';
import type { Peer } from '../server/push/propagation.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { busReplica, engineer, until, type BusReplica } from './helpers/cluster.js';

// Replicas in one process on one PostgreSQL; their SDK peers are joined to each replica's real
// tracker and acknowledge each broadcast as the stream's peers do (the process test,
// test/cluster-processes.test.ts, runs real SDKs over websockets).
let pg: TestPostgres;
const replicas: BusReplica[] = [];

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const r of replicas) await r.close();
  await pg?.stop();
});

async function cluster(names: string[]): Promise<{ url: string; rs: BusReplica[] }> {
  const url = await pg.createDatabase();
  const o = openStorage({ databaseUrl: url, dbFile: 'unused' });
  await migrate(o.db);
  await o.close();
  const rs: BusReplica[] = [];
  for (const n of names) rs.push(await busReplica(url, n, { heartbeatMs: 150 }));
  replicas.push(...rs);
  return { url, rs };
}

/** `n` SDK peers on a replica that apply every broadcast, unless `stalled` says not yet. */
function sdks(r: BusReplica, n: number, stalled = () => false): Peer[] {
  const { feed, tracker } = r.services.push;
  const peers = Array.from({ length: n }, (_, i): Peer => ({ keyId: `key-${r.id}-${i}`, applied: feed.version, appliedAt: 0, liveFrom: feed.version }));
  for (const p of peers) tracker.join(p);
  feed.onBroadcast((b) => {
    if (stalled()) return;
    for (const p of peers) if (r.services.push.tracker.peers.has(p)) tracker.ack(p, b.version);
  });
  return peers;
}

const flagInput = (key: string) => ({ key, description: '', owner: 'ai-eng@acme', tags: [], on: true, off: false }) as never;

describe('acknowledgements across replicas', () => {
  it('a kill on replica A waits for the SDKs of every replica and counts them all, per replica', async () => {
    const { rs } = await cluster(['a', 'b', 'c']);
    const [a, b, c] = rs as [BusReplica, BusReplica, BusReplica];
    sdks(a, 3);
    sdks(b, 4);
    let cHeld = true;
    const cPeers = sdks(c, 2, () => cHeld);
    await until(() => (a.cluster.registry?.figures(0).length ?? 0) === 2, 5000, 'A to know B and C');
    await a.services.flags.create(engineer, flagInput('support-draft'));
    const { flag } = await a.services.kills.kill(engineer, 'support-draft', 'incident 42');
    const waiting = a.services.push.tracker.waitFor('support-draft', flag.stateVersion, 8000);
    // C's SDKs have not applied it yet: the wait must not be over.
    await until(() => {
      const f = a.services.push.tracker.of('support-draft')!;
      return f.replicas?.find((r) => r.name === 'b')?.acknowledged === 4;
    }, 5000, "A to count B's acknowledgements");
    expect(a.services.push.tracker.of('support-draft')).toMatchObject({ connected: 9, applied: 7, pending: 2 });
    cHeld = false;
    for (const p of cPeers) c.services.push.tracker.ack(p, c.services.push.feed.version);
    const done = await waiting;
    expect(done).toMatchObject({ key: 'support-draft', stateVersion: flag.stateVersion, connected: 9, applied: 9, pending: 0 });
    expect(done.replicas?.map((r) => [r.name, r.connected, r.acknowledged, r.pending, r.status]).sort()).toEqual([
      ['a', 3, 3, 0, 'live'],
      ['b', 4, 4, 0, 'live'],
      ['c', 2, 2, 0, 'live'],
    ]);
  });

  it('a replica that stops beating drops out of the counts within a few heartbeats and is listed as gone', async () => {
    const { rs } = await cluster(['a', 'b']);
    const [a, b] = rs as [BusReplica, BusReplica];
    sdks(a, 2);
    sdks(b, 5, () => true); // B's SDKs never acknowledge: B is about to die
    await a.services.flags.create(engineer, flagInput('retrieval-v2'));
    await until(() => a.services.push.tracker.of('retrieval-v2')?.connected === 7, 5000, 'A to count B');
    const { flag } = await a.services.kills.kill(engineer, 'retrieval-v2', 'bad answers');
    const waiting = a.services.push.tracker.waitFor('retrieval-v2', flag.stateVersion, 8000);
    b.cluster.registry!.halt();
    await b.bus.close();
    const done = await waiting; // resolves once B is declared gone, not at the timeout
    expect(done).toMatchObject({ connected: 2, applied: 2, pending: 0 });
    const gone = done.replicas?.find((r) => r.name === 'b');
    expect(gone).toMatchObject({ status: 'gone', connected: 5, acknowledged: 0, pending: 0 });
    expect(gone!.goneForMs).toBeGreaterThan(0);
  });

  it('an SDK closed as unresponsive on replica B is counted in a kill\'s figures on replica A, under B, and holds no wait', async () => {
    const { rs } = await cluster(['a', 'b']);
    const [a, b] = rs as [BusReplica, BusReplica];
    sdks(a, 2);
    const bPeers = sdks(b, 3);
    // One of B's SDKs never acknowledges (the list is the one its acknowledgements go through).
    const deaf = bPeers.pop()!;
    await a.services.flags.create(engineer, flagInput('agent-tools'));
    await until(() => a.services.push.tracker.of('agent-tools')?.connected === 5, 5000, 'A to count B');
    const { flag } = await a.services.kills.kill(engineer, 'agent-tools', 'tool calls looping');
    const waiting = a.services.push.tracker.waitFor('agent-tools', flag.stateVersion, 8000);
    await until(() => a.services.push.tracker.of('agent-tools')?.applied === 4, 5000, "A to count B's acknowledgements");
    expect(a.services.push.tracker.of('agent-tools')).toMatchObject({ pending: 1 });
    // B's ACK_TIMEOUT_MS passes for it (server/push/sdk-stream.ts closes it this way).
    b.services.push.tracker.unresponsive(deaf);
    const done = await waiting; // resolves once B's figures move, not at the timeout
    expect(done).toMatchObject({ connected: 4, applied: 4, pending: 0, unresponsive: 1 });
    expect(done.replicas?.map((r) => [r.name, r.connected, r.acknowledged, r.unresponsive ?? 0]).sort()).toEqual([
      ['a', 2, 2, 0],
      ['b', 2, 2, 1],
    ]);
    // B says the same of the change as A once A's figures reach it (each replica sums the live ones).
    await until(() => b.services.push.tracker.of('agent-tools', flag.stateVersion)?.applied === 4, 5000, "B to hear A's acknowledgements");
    expect(b.services.push.tracker.of('agent-tools', flag.stateVersion)).toMatchObject({ connected: 4, applied: 4, unresponsive: 1 });
  });

  it('a replica that shuts down cleanly leaves the list at once', async () => {
    const { rs } = await cluster(['a', 'b']);
    const [a, b] = rs as [BusReplica, BusReplica];
    await a.services.flags.create(engineer, flagInput('prompt-v3'));
    await until(() => a.services.push.tracker.of('prompt-v3')?.replicas?.some((r) => r.name === 'b') === true, 5000, 'A to list B');
    await b.close();
    await until(() => a.services.push.tracker.of('prompt-v3')?.replicas?.some((r) => r.name === 'b') === false, 5000, 'B to leave the list');
    expect(a.services.push.tracker.of('prompt-v3')?.replicas?.map((r) => r.name)).toEqual(['a']);
  });
});
