import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@switchyard-flags/sdk/node';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { createFlag, type TestServer } from './helpers/server.js';
import { issueSdkKey } from './helpers/push-client.js';
import { startReplicas } from './helpers/replicas.js';
import { until } from './helpers/cluster.js';
import { advance, LOOPBACK_RECEIVERS, putPlan, report, signoff, webhookServer, type Hook } from './rollout-fixtures.js';

// Three real servers (HTTP, websockets, services) in this process on one PostgreSQL database.
let pg: TestPostgres;
const servers: TestServer[] = [];
const clients: Client[] = [];
let hook: Hook;

beforeAll(async () => {
  pg = await startPostgres();
  hook = await webhookServer();
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
  await hook?.close();
  await pg?.stop();
});

async function replicas(names = ['a', 'b', 'c']): Promise<TestServer[]> {
  const rs = await startReplicas(await pg.createDatabase(), names, { config: { webhookUrl: hook.url, webhookAllow: LOOPBACK_RECEIVERS } });
  servers.push(...rs);
  return rs;
}

function sdk(ts: TestServer, key: string): Client {
  const c = createClient({ url: ts.url, sdkKey: key, WebSocket: WebSocket as never });
  clients.push(c);
  return c;
}

describe('three replicas on one PostgreSQL', () => {
  it('a kill sent to replica A reaches every SDK of every replica, and the acknowledged count is all of them', async () => {
    const [a, b, c] = await replicas();
    const { key } = await issueSdkKey(a!);
    await createFlag(a!, 'support-draft');
    const mine = [a!, a!, b!, b!, b!, c!, c!].map((ts) => sdk(ts, key));
    await Promise.all(mine.map((m) => m.ready()));
    // Every replica has heard of every other's SDKs before the kill.
    await until(async () => (await b!.api('GET', '/api/flags/support-draft/propagation', { as: 'viewer' })).body.connected === 7, 5000, 'B to count every SDK');
    const kill = await a!.api('POST', '/api/flags/support-draft/kill', { as: 'oncall', body: { reason: 'incident 42', waitMs: 5000 } });
    expect(kill.status).toBe(200);
    expect(kill.body.propagation).toMatchObject({ connected: 7, applied: 7, pending: 0 });
    expect(kill.body.propagation.replicas.map((r: any) => [r.name, r.connected, r.acknowledged, r.status]).sort()).toEqual([
      ['a', 2, 2, 'live'],
      ['b', 3, 3, 'live'],
      ['c', 2, 2, 'live'],
    ]);
    for (const m of mine) expect(m.isEnabled('support-draft', { key: 'user-1' })).toBe(false);
    const fromC = await c!.api('GET', '/api/flags/support-draft/propagation', { as: 'viewer' });
    expect(fromC.body).toMatchObject({ key: 'support-draft', stateVersion: kill.body.stateVersion, connected: 7, applied: 7, pending: 0 });
  });

  it('with auto-advance on every replica, a stage advances once and its webhook is delivered once', async () => {
    const [a, b, c] = await replicas();
    await createFlag(b!, 'auto-cluster');
    expect((await putPlan(b!, 'auto-cluster', { stages: [{ percent: 5, autoAdvance: true }, { percent: 100 }] })).status).toBe(200);
    expect((await signoff(c!, 'auto-cluster', 'pm-bob')).status).toBe(201);
    const before = hook.received.length;
    // Every replica's scheduler ticks at the same moment (as if none held the lease).
    const ticks = await Promise.all([a!, b!, c!].map((ts) => ts.running.services.scheduler.tick()));
    expect(ticks.flatMap((t) => t.advanced)).toEqual(['auto-cluster']);
    const adv = await a!.api('GET', '/api/audit?flag=auto-cluster&action=rollout.advance', { as: 'admin' });
    expect(adv.body.entries).toHaveLength(1);
    await hook.waitFor(before + 1);
    for (const ts of [a!, b!, c!]) await ts.running.services.webhooks.settled();
    // Every replica heard the advance (it is served everywhere) but only the one that made it delivered.
    for (const ts of [a!, b!, c!]) await until(() => ts.running.services.push.feed.snapshot().flags.some((f) => f.key === 'auto-cluster' && (f as any).stage === 1), 5000, 'each replica to serve stage 1');
    expect(hook.received.slice(before).filter((n) => n.flag === 'auto-cluster' && n.event === 'rollout.advance')).toHaveLength(1);
  });

  it('breaching samples reported through three replicas at once trip the guardrail once, with one webhook', async () => {
    // Evidence, not single samples (issue 15): each batch is an aggregate that alone is a breach.
    const [a, b, c] = await replicas();
    await createFlag(a!, 'guarded-cluster');
    const plan = { stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01, guardrail: true, onBreach: 'kill' }] }, { percent: 100 }] };
    expect((await putPlan(a!, 'guarded-cluster', plan)).status).toBe(200);
    expect((await report(b!, [{ flag: 'guarded-cluster', metric: 'error_rate', count: 100, mean: 0.001, stddev: 0.001 }])).status).toBe(201);
    expect((await signoff(c!, 'guarded-cluster', 'pm-bob')).status).toBe(201);
    expect((await advance(c!, 'guarded-cluster')).status).toBe(200);
    const before = hook.received.length;
    const reports = await Promise.all([a!, b!, c!].map((ts) => report(ts, [{ flag: 'guarded-cluster', metric: 'error_rate', count: 200, mean: 0.2, stddev: 0.05 }])));
    expect(reports.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(reports.flatMap((r) => r.body.tripped)).toHaveLength(1);
    const trips = await a!.api('GET', '/api/audit?flag=guarded-cluster&action=rollout.guardrail_trip', { as: 'admin' });
    expect(trips.body.entries).toHaveLength(1);
    expect((await b!.api('GET', '/api/flags/guarded-cluster', { as: 'viewer' })).body).toMatchObject({ killed: true, killedBy: 'system:guardrail' });
    await hook.waitFor(before + 1);
    for (const ts of [a!, b!, c!]) await ts.running.services.webhooks.settled();
    expect(hook.received.slice(before).filter((n) => n.flag === 'guarded-cluster' && n.event === 'rollout.guardrail_trip')).toHaveLength(1);
  });

  it('exactly one replica holds the job lease, and it moves when its holder stops beating', async () => {
    const rs = await replicas();
    await until(() => rs.filter((r) => r.running.cluster!.lease.holds()).length === 1, 5000, 'one holder');
    const holder = rs.find((r) => r.running.cluster!.lease.holds())!;
    holder.running.cluster!.registry!.halt(); // no more renewals: as if it died
    await until(() => !holder.running.cluster!.lease.holds(), 5000, 'the old holder to stop trusting its lease');
    await until(() => rs.filter((r) => r !== holder && r.running.cluster!.lease.holds()).length === 1, 5000, 'another replica to take the lease');
  });
});
