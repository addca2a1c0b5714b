import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrate } from '../server/storage/migrator.js';
import { openStorage } from '../server/storage/open.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { busReplica, engineer, until, type BusReplica } from './helpers/cluster.js';

let pg: TestPostgres;
const replicas: BusReplica[] = [];

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const r of replicas) await r.close();
  await pg?.stop();
});

async function cluster(n: number): Promise<BusReplica[]> {
  const url = await pg.createDatabase();
  const o = openStorage({ databaseUrl: url, dbFile: 'unused' });
  await migrate(o.db);
  await o.close();
  const out: BusReplica[] = [];
  for (let i = 0; i < n; i++) out.push(await busReplica(url, `replica-${String.fromCharCode(97 + i)}`));
  replicas.push(...out);
  return out;
}

const flagInput = (key: string) => ({ key, description: '', owner: 'ai-eng@acme', tags: [], on: true, off: false }) as never;

describe('the change bus across replicas', () => {
  it('a kill committed on replica A is served by replica B and C, marked remote there', async () => {
    const [a, b, c] = await cluster(3);
    await a!.services.flags.create(engineer, flagInput('support-draft'));
    const { flag } = await a!.services.kills.kill(engineer, 'support-draft', 'incident 42');
    for (const r of [b!, c!]) {
      await until(() => r.services.push.feed.stateVersionOf('support-draft') === flag.stateVersion, 10_000, `${r.id} to hear the kill`);
      expect(r.services.push.feed.snapshot().flags.find((f) => f.key === 'support-draft')).toMatchObject({ killed: true });
      const kill = r.events.find((e) => e.type === 'audit' && e.entry.action === 'flag.kill');
      expect(kill).toMatchObject({ remote: true });
    }
    // The replica that committed published its own events once, and none of them as remote.
    expect(a!.events.filter((e) => e.remote)).toEqual([]);
    expect(a!.events.filter((e) => e.type === 'audit' && e.entry.action === 'flag.kill')).toHaveLength(1);
  });

  it('cutting the listener connection while changes land loses no change, and they arrive in order', async () => {
    const [a, b] = await cluster(2);
    await a!.services.flags.create(engineer, flagInput('retrieval-v2'));
    const admin = openStorage({ databaseUrl: pgUrlOf(a!), dbFile: 'unused' });
    let cuts = 0;
    let last = 0;
    for (let i = 0; i < 40; i++) {
      const r = i % 2 === 0 ? await a!.services.kills.kill(engineer, 'retrieval-v2', `storm ${i}`) : await a!.services.kills.restore(engineer, 'retrieval-v2', `storm ${i}`);
      last = r.flag.stateVersion;
      const pid = b!.bus.listenerPid();
      if (i % 7 === 3 && pid) {
        await sql`select pg_terminate_backend(${pid})`.execute(admin.db);
        cuts++;
      }
    }
    await admin.close();
    expect(cuts).toBeGreaterThanOrEqual(3);
    await until(() => b!.services.push.feed.stateVersionOf('retrieval-v2') === last, 15_000, 'B to catch up after the cuts');
    const seqs = b!.events.flatMap((e) => (e.type === 'audit' ? [e.entry.seq] : []));
    const expected = a!.events.flatMap((e) => (e.type === 'audit' ? [e.entry.seq] : []));
    await until(() => b!.events.filter((e) => e.type === 'audit').length >= expected.length, 15_000, 'every audit entry on B');
    const got = b!.events.flatMap((e) => (e.type === 'audit' ? [e.entry.seq] : []));
    expect(got).toEqual(expected);
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    const versions = b!.events.flatMap((e) => (e.type === 'flag' ? [e.stateVersion] : []));
    expect(versions.every((v, i) => i === 0 || v > versions[i - 1]!)).toBe(true);
    expect(versions.at(-1)).toBe(last);
    expect(b!.bus.listening).toBe(true);
  });
});

function pgUrlOf(r: BusReplica): string {
  return (r.bus as unknown as { deps: { databaseUrl: string } }).deps.databaseUrl;
}
