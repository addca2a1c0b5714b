import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../server/storage/migrator.js';
import { openStorage } from '../server/storage/open.js';
import type { Peer } from '../server/push/propagation.js';
import type { Broadcast } from '../server/push/state-feed.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { busReplica, engineer, until, type BusReplica } from './helpers/cluster.js';

// Propagation per environment on a cluster (issue 23): two replicas in one process on one
// PostgreSQL; SDK peers join each replica's tracker of their key's environment and acknowledge
// as the stream's peers do (test/cluster-acks.test.ts does the same for one environment).
let pg: TestPostgres;
const replicas: BusReplica[] = [];

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const r of replicas) await r.close();
  await pg?.stop();
});

async function cluster(names: string[]): Promise<BusReplica[]> {
  const url = await pg.createDatabase();
  const o = openStorage({ databaseUrl: url, dbFile: 'unused' });
  await migrate(o.db);
  await o.close();
  const rs: BusReplica[] = [];
  for (const n of names) rs.push(await busReplica(url, n, { heartbeatMs: 150 }));
  replicas.push(...rs);
  return rs;
}

/** `n` SDK peers of `env` on a replica that apply every broadcast of that environment, unless `stalled` says not yet. */
async function sdks(r: BusReplica, env: string, n: number, stalled = () => false): Promise<{ peers: Peer[]; broadcasts: Broadcast[] }> {
  const where = r.services.push.env(env);
  await where.start();
  const { feed, tracker } = where;
  const peers = Array.from({ length: n }, (_, i): Peer => ({ keyId: `key-${r.id}-${env}-${i}`, applied: feed.version, appliedAt: 0, liveFrom: feed.version }));
  for (const p of peers) tracker.join(p);
  const broadcasts: Broadcast[] = [];
  feed.onBroadcast((b) => {
    broadcasts.push(b);
    if (stalled()) return;
    for (const p of peers) if (tracker.peers.has(p)) tracker.ack(p, b.version);
  });
  return { peers, broadcasts };
}

const flagInput = (key: string) => ({ key, description: '', owner: 'ai-eng@acme', tags: [], on: true, off: false }) as never;
const admin = { sub: 'admin-ann', role: 'admin', requestId: null } as const;

describe('propagation per environment across replicas', () => {
  it("a staging kill on replica A waits for staging's SDKs on every replica only; production's figures and SDKs see nothing of it", async () => {
    const [a, b] = (await cluster(['a', 'b'])) as [BusReplica, BusReplica];
    await a.services.environments.create(admin, { key: 'staging', name: 'Staging' } as never);
    await a.services.flags.create(engineer, flagInput('reply-model'));
    const prodB = await sdks(b, 'production', 3);
    await sdks(a, 'staging', 1);
    let bHeld = true;
    const stagingB = await sdks(b, 'staging', 2, () => bHeld);
    const staging = a.services.push.env('staging');
    await until(() => staging.tracker.of('reply-model')?.connected === 3, 5000, "A to count B's staging SDKs");
    await until(() => a.services.push.tracker.of('reply-model')?.connected === 3, 5000, "A to count B's production SDKs");
    const prodBefore = a.services.push.tracker.of('reply-model')!;
    await until(() => b.services.push.feed.stateVersionOf('reply-model') !== undefined && b.services.push.env('staging').feed.stateVersionOf('reply-model') !== undefined, 5000, 'B to have the new flag');
    const seenByProdB = prodB.broadcasts.length;

    const { flag } = await a.services.kills.kill(engineer, 'reply-model', 'bad drafts in staging', undefined, 'staging');
    const waiting = staging.tracker.waitFor('reply-model', flag.stateVersion, 8000);
    await until(() => staging.feed.stateVersionOf('reply-model') === flag.stateVersion, 5000, "A's staging feed to have the kill");
    await until(() => staging.tracker.of('reply-model')?.applied === 1, 5000, "A's staging SDK to acknowledge");
    expect(staging.tracker.of('reply-model')).toMatchObject({ stateVersion: flag.stateVersion, connected: 3, applied: 1, pending: 2 });

    // B's notice carried the environment; B's staging feed got the kill, its production feed nothing.
    await until(() => stagingB.broadcasts.some((x) => x.rows.some((r) => r.row.key === 'reply-model' && r.row.killed === 1)), 5000, "B's staging feed to have the kill");
    expect(b.events).toContainEqual(expect.objectContaining({ type: 'flag', key: 'reply-model', stateVersion: flag.stateVersion, environment: 'staging', remote: true }));
    expect(prodB.broadcasts.length).toBe(seenByProdB);
    expect(prodB.broadcasts.flatMap((x) => x.rows).filter((r) => r.row.killed === 1)).toEqual([]);

    bHeld = false;
    const bStaging = b.services.push.env('staging');
    for (const p of stagingB.peers) bStaging.tracker.ack(p, bStaging.feed.version);
    const done = await waiting;
    expect(done).toMatchObject({ key: 'reply-model', stateVersion: flag.stateVersion, connected: 3, applied: 3, pending: 0 });
    expect(done.replicas?.map((r) => [r.name, r.connected, r.acknowledged]).sort()).toEqual([
      ['a', 1, 1],
      ['b', 2, 2],
    ]);
    // Production: the same flag's figures did not move, and count production's SDKs only.
    expect(a.services.push.tracker.of('reply-model')).toMatchObject({ stateVersion: prodBefore.stateVersion, connected: 3, applied: 3 });
    expect(a.services.push.tracker.of('reply-model')?.replicas?.map((r) => [r.name, r.connected]).sort()).toEqual([
      ['a', 0],
      ['b', 3],
    ]);
  });
});
