import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../server/auth/tokens.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { issueSdkKey, sdkPeer, type RawPeer } from './helpers/push-client.js';
import { startReplicas } from './helpers/replicas.js';
import { createFlag, type TestServer } from './helpers/server.js';
import { manualClock } from './rollout-fixtures.js';

/**
 * Limits that mean the same behind a balancer (issue 22): two real replicas on one PostgreSQL
 * database (whatever SWITCHYARD_TEST_DB says), each limit split across both is still the
 * configured total, not twice it.
 */
let pgc: TestPostgres;
const servers: TestServer[] = [];
const peers: RawPeer[] = [];

async function replicas(config: Record<string, unknown>, clock?: ReturnType<typeof manualClock>): Promise<[TestServer, TestServer]> {
  const [a, b] = await startReplicas(await pgc.createDatabase(), ['limits-a', 'limits-b'], { config, clock: clock?.clock });
  servers.push(a!, b!);
  return [a!, b!];
}

const pg_url = () => pgc.createDatabase();

/** One heartbeat of each replica, in order: `a` writes its row, then `b` writes its own and reads `a`'s. */
async function heartbeat(...rs: TestServer[]): Promise<void> {
  for (const r of rs) await r.running.cluster!.registry!.tick();
}

beforeAll(async () => {
  pgc = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const p of peers) p.ws.terminate();
  for (const s of servers) await s.close();
  await pgc?.stop();
});

describe('limits across two replicas on one PostgreSQL database', () => {
  it('failed authentications from one address split across both replicas are refused once they reach AUTH_FAILURE_LIMIT in total', async () => {
    const [a, b] = await replicas({ authFailureLimit: 6 });
    for (let i = 0; i < 6; i++) {
      const r = await (i % 2 ? b : a).api('GET', '/api/flags', { token: `guess-${i}` });
      expect(r.status).toBe(401);
    }
    for (const s of [a, b]) {
      const limited = await s.api('GET', '/api/flags', { token: 'one-more-guess' });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('too_many_auth_failures');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // A replica that refused once refuses the address's anonymous requests before any lookup; a valid credential still works on both.
    expect((await b.api('GET', '/api/flags')).status).toBe(429);
    expect((await a.api('GET', '/api/flags', { as: 'viewer' })).status).toBe(200);
    expect((await b.api('GET', '/api/flags', { as: 'viewer' })).status).toBe(200);
  });

  it('samples of one token split across both replicas are limited at SAMPLES_RATE_LIMIT per second in total', async () => {
    const time = manualClock();
    const [a, b] = await replicas({ metricsRateLimit: 1000 }, time);
    await createFlag(a, 'split-flood');
    const token = await issueToken(a.running.secret, 'pipeline-split', 'metrics');
    const batch = (n: number) => ({ samples: Array.from({ length: n }, (_, i) => ({ flag: 'split-flood', metric: 'latency_ms', value: i })) });
    expect((await a.api('POST', '/api/metrics', { token, body: batch(600) })).status).toBe(201);
    const refused = await b.api('POST', '/api/metrics', { token, body: batch(600) });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'metrics_rate_limited', details: { limitPerSecond: 1000, samples: 600 } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // What is left of the second fits on either replica; the refused batch took nothing.
    expect((await b.api('POST', '/api/metrics', { token, body: batch(400) })).status).toBe(201);
    expect((await a.api('POST', '/api/metrics', { token, body: batch(1) })).status).toBe(429);
    // Another token has its own budget, and the next second refills this one on both.
    const other = await issueToken(a.running.secret, 'pipeline-other', 'metrics');
    expect((await b.api('POST', '/api/metrics', { token: other, body: batch(10) })).status).toBe(201);
    time.advanceMinutes(1 / 60);
    expect((await b.api('POST', '/api/metrics', { token, body: batch(600) })).status).toBe(201);
    const stored = await a.api('GET', '/api/flags/split-flood/metrics?metric=latency_ms&limit=1', { as: 'viewer' });
    expect(stored.body.metrics[0].treatment.count).toBe(600 + 400 + 10 + 600);
  });

  it('streams of one SDK key split across both replicas are capped at MAX_CONNECTIONS_PER_KEY once a heartbeat has told each of the other', async () => {
    const [a, b] = await replicas({ maxConnectionsPerKey: 4 });
    const { key } = await issueSdkKey(a);
    const open = async (s: TestServer) => {
      const p = sdkPeer(s, key);
      peers.push(p);
      await p.next((m) => m.type === 'snapshot');
      return p;
    };
    const onA = [await open(a), await open(a), await open(a)];
    await heartbeat(a, b);
    const onB = [await open(b), await open(b), await open(b)];
    // b knew a held 3: it keeps one of its own (its newest) and evicted the older two.
    for (const p of onB.slice(0, 2)) {
      expect(await p.closed).toMatchObject({ code: 4429, reason: 'evicted' });
      expect(p.messages.at(-1)).toMatchObject({ type: 'error', code: 'evicted', message: expect.stringContaining('MAX_CONNECTIONS_PER_KEY') });
    }
    expect(onB[2]!.ws.readyState).toBe(onB[2]!.ws.OPEN);
    for (const p of onA) expect(p.ws.readyState).toBe(p.ws.OPEN);
    expect([...onA, ...onB].filter((p) => p.ws.readyState === p.ws.OPEN)).toHaveLength(4);
    // a hears of b's one and makes room among its own: still 4 in all.
    await heartbeat(b, a);
    const newest = await open(a);
    expect((await onA[0]!.closed).code).toBe(4429);
    expect([...onA, ...onB, newest].filter((p) => p.ws.readyState === p.ws.OPEN)).toHaveLength(4);
  });

  it('failed authentications stuck behind a locked limiter table hold up no kill, and are answered 401 (counted in the replica) once the store gives up', async () => {
    const url = await pg_url();
    const [a] = await startReplicas(url, ['limits-solo'], { config: { authFailureLimit: 100 } });
    servers.push(a!);
    await createFlag(a!, 'kill-under-lock');
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE rate_limits IN ACCESS EXCLUSIVE MODE');
      // More failures than the limiter's pool has connections: they all wait on the lock or the pool.
      const failing = Array.from({ length: 8 }, (_, i) => a!.api('GET', '/api/flags', { token: `stuck-${i}` }));
      const kill = await a!.api('POST', '/api/flags/kill-under-lock/kill', { as: 'oncall', body: { reason: 'incident while the limiter is stuck' } });
      expect(kill.status).toBe(200);
      expect(kill.body.killed).toBe(true);
      expect((await Promise.all(failing)).map((r) => r.status)).toEqual(Array(8).fill(401));
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  });

  it('a replica holding none of a key\'s streams refuses a new one while the other replicas hold MAX_CONNECTIONS_PER_KEY', async () => {
    const [a, b] = await replicas({ maxConnectionsPerKey: 2 });
    const { key } = await issueSdkKey(a);
    const onA = [sdkPeer(a, key), sdkPeer(a, key)];
    peers.push(...onA);
    for (const p of onA) await p.next((m) => m.type === 'snapshot');
    await heartbeat(a, b);
    const late = sdkPeer(b, key);
    peers.push(late);
    expect(await late.closed).toMatchObject({ code: 4429, reason: 'evicted' });
    expect(late.messages.at(-1)).toMatchObject({ type: 'error', message: expect.stringContaining('MAX_CONNECTIONS_PER_KEY streams on the other replicas') });
    for (const p of onA) expect(p.ws.readyState).toBe(p.ws.OPEN);
  });
});
