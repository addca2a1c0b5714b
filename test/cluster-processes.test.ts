import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@switchyard-flags/sdk/node';
import { issueToken, loadSecretFile } from '../server/auth/tokens.js';
import type { Role } from '../server/auth/roles.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { bootServer, type ServerProc } from './helpers/reliability-proc.js';
import { tempDataDir } from './helpers/server.js';
import { until } from './helpers/cluster.js';
import { figure } from './helpers/reliability-figures.js';

// Three `switchyard serve` processes (dist/cli.js) on one PostgreSQL, sharing SECRET_FILE and the
// checkpoint key, with SDK clients spread across them; each client is given every replica's URL.
let pgc: TestPostgres;
const procs: ServerProc[] = [];
const clients: Client[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  pgc = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const p of procs) await p.stop();
  await pgc?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Fleet {
  url: string;
  replicas: ServerProc[];
  secret: Uint8Array;
  call(r: ServerProc, method: string, p: string, role: Role, body?: unknown): Promise<{ status: number; body: any; requestId: string | null }>;
}

async function fleet(names = ['a', 'b', 'c']): Promise<Fleet> {
  const url = await pgc.createDatabase();
  const shared = tempDataDir();
  dirs.push(shared);
  const secretFile = path.join(shared, 'secret');
  const { secret } = loadSecretFile(secretFile);
  const replicas: ServerProc[] = [];
  for (const name of names) {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const env = { DATABASE_URL: url, REPLICA_NAME: name, REPLICA_HEARTBEAT_MS: '200', SECRET_FILE: secretFile, CHECKPOINT_KEY_FILE: path.join(shared, 'checkpoint-key'), WEBHOOK_SECRET: 'cluster-test-webhook-secret-0123456789' };
    const p = await bootServer(dataDir, env);
    procs.push(p);
    replicas.push(p);
  }
  const tokens = new Map<Role, string>();
  return {
    url,
    replicas,
    secret,
    async call(r, method, p, role, body) {
      if (!tokens.has(role)) tokens.set(role, await issueToken(secret, `${role}-user`, role));
      const res = await fetch(r.url + p, {
        method,
        headers: { authorization: `Bearer ${tokens.get(role)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, requestId: res.headers.get('x-request-id') };
    },
  };
}

/** SDK clients, `perReplica` on each, each listing its own replica first and the others after it. */
async function spread(f: Fleet, perReplica: number): Promise<Client[]> {
  const key = (await f.call(f.replicas[0]!, 'POST', '/api/sdk-keys', 'admin', { name: 'fleet' })).body.key as string;
  const urls = f.replicas.map((r) => r.url);
  const out: Client[] = [];
  for (let i = 0; i < f.replicas.length; i++) {
    for (let j = 0; j < perReplica; j++) {
      const c = createClient({ url: [urls[i]!, ...urls.filter((_, k) => k !== i)], sdkKey: key, WebSocket: WebSocket as never });
      clients.push(c);
      out.push(c);
    }
  }
  await Promise.all(out.map((c) => c.ready()));
  return out;
}

/** Whether the flag is killed in what the client holds (undefined if it does not hold it). */
function killedIn(c: Client, key: string): boolean | undefined {
  return c.snapshot().flags.find((x) => x.key === key)?.killed;
}

const flag = (key: string) => ({ key, description: '', owner: 'ai-eng@acme', tags: [], on: true, off: false });

describe('a cluster of three replica processes', () => {
  it('kill -9 of replica B during a write storm through all three loses no acknowledged change, the chain verifies, and every SDK converges', async () => {
    const f = await fleet();
    const [a, b, c] = f.replicas as [ServerProc, ServerProc, ServerProc];
    for (const r of f.replicas) expect((await f.call(a, 'POST', '/api/flags', 'engineer', flag(`storm-${f.replicas.indexOf(r)}`))).status).toBe(201);
    const sdks = await spread(f, 2);
    await until(async () => (await f.call(c, 'GET', '/api/flags/storm-0/propagation', 'viewer')).body.connected === 6, 10_000, 'C to count all six SDKs');

    const acked: string[] = [];
    let stop = false;
    const storm = async (r: ServerProc, i: number) => {
      for (let n = 0; n < 150 && !stop; n++) {
        const res = await f.call(r, 'POST', `/api/flags/storm-${i}/${n % 2 === 0 ? 'kill' : 'restore'}`, 'oncall', { reason: `storm ${n}` }).catch(() => undefined);
        if (!res) return; // the replica is gone: nothing more was acknowledged by it
        expect([200, 503]).toContain(res.status);
        if (res.status === 200) acked.push(res.requestId!);
      }
    };
    const storms = f.replicas.map((r, i) => storm(r, i));
    await until(() => acked.length >= 30, 20_000, 'the storm to get going');
    const atKill = acked.length;
    await b.stop('SIGKILL');
    await until(() => acked.length >= 90, 30_000, 'the storm to go on through A and C');
    stop = true;
    await Promise.all(storms);
    const stormEnd = performance.now();

    // Every acknowledged change is in the audit trail, and the chain verifies.
    const db = new pg.Client({ connectionString: f.url });
    await db.connect();
    const ids = new Set((await db.query<{ request_id: string }>('select request_id from audit')).rows.map((r) => r.request_id));
    await db.end();
    expect(acked.filter((id) => !ids.has(id))).toEqual([]);
    figure('cluster storm', { acknowledged: acked.length, beforeKill9OfB: atKill, auditEntries: ids.size, missing: 0 });
    const verify = await f.call(a, 'GET', '/api/audit/verify', 'admin');
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true });

    // B's SDKs moved to A or C; all six converge on the state the database holds.
    const flags = (await f.call(a, 'GET', '/api/flags', 'viewer')).body.flags as Array<{ key: string; killed: boolean; stateVersion: number }>;
    const want = new Map(flags.map((x) => [x.key, x.killed]));
    const latest = Math.max(...flags.map((x) => x.stateVersion));
    await until(() => sdks.every((s) => s.version >= latest && [...want].every(([k, killed]) => killedIn(s, k) === killed)), 20_000, 'every SDK to converge');
    // B drops out of the counts: its SDKs are counted where they reconnected.
    await until(async () => {
      const p = (await f.call(a, 'GET', '/api/flags/storm-0/propagation', 'viewer')).body;
      return p.connected === 6 && p.applied === 6 && p.replicas?.find((r: any) => r.name === 'b')?.status === 'gone';
    }, 15_000, 'A to count six SDKs on A and C and list B as gone');
    figure('cluster storm convergence', { sdks: sdks.length, convergedAfterStormMs: Math.round(performance.now() - stormEnd) });
  }, 120_000);

  it('PostgreSQL stopped and started: writes get 503 unavailable meanwhile, SDKs keep serving, and everything recovers without restarting a replica', async () => {
    const f = await fleet();
    const [a, b, c] = f.replicas as [ServerProc, ServerProc, ServerProc];
    expect((await f.call(a, 'POST', '/api/flags', 'engineer', flag('outage'))).status).toBe(201);
    const sdks = await spread(f, 1);
    expect(sdks.every((s) => killedIn(s, 'outage') === false)).toBe(true);

    await pgc.pause();
    for (const r of [a, b, c]) {
      const kill = await f.call(r, 'POST', '/api/flags/outage/kill', 'oncall', { reason: 'during the outage' });
      expect(kill.status).toBe(503);
      expect(kill.body.error.code).toBe('unavailable');
    }
    // The SDKs keep serving what they hold.
    expect(sdks.every((s) => killedIn(s, 'outage') === false && s.evaluate('outage', { key: 'u1' }).value === false)).toBe(true);
    await pgc.resume();

    // The same processes: a kill through B lands (once the pool reconnects) and reaches every SDK.
    let kill: Awaited<ReturnType<Fleet['call']>> | undefined;
    await until(async () => (kill = await f.call(b, 'POST', '/api/flags/outage/kill', 'oncall', { reason: 'after the outage', waitMs: 3000 })).status === 200, 30_000, 'writes to work again');
    await until(() => sdks.every((s) => killedIn(s, 'outage') === true), 15_000, 'every SDK to get the kill');
    await until(async () => {
      const p = (await f.call(c, 'GET', '/api/flags/outage/propagation', 'viewer')).body;
      return p.stateVersion === kill!.body.stateVersion && p.applied === 3 && p.connected === 3;
    }, 15_000, 'C to count all three acknowledgements');
    // Ready again: the database answers and every listener is back.
    const ready: string[] = [];
    for (const r of [a, b, c]) {
      await until(async () => {
        const res = await fetch(`${r.url}/readyz`);
        ready.push(await res.text());
        return res.status === 200;
      }, 15_000, `${r.url}/readyz to answer 200 (last: ${ready.at(-1)})`);
    }
  }, 120_000);
});
