import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, sdkPeer, type RawPeer } from './helpers/push-client.js';
import { freePort } from './helpers/free-port.js';


/** The value of one sample line, e.g. value(text, 'switchyard_flag_actions_total{action="flag.kill"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let ts: TestServer;
let metricsPort: number;
const peers: RawPeer[] = [];
beforeAll(async () => {
  metricsPort = await freePort();
  ts = await startTestServer({ config: { metricsToken: 'scrape-secret-1234', metricsListen: `127.0.0.1:${metricsPort}` } });
});
afterAll(async () => {
  for (const p of peers) p.ws.terminate();
  await ts.close();
});

const scrape = async (token = 'scrape-secret-1234') => (await ts.api('GET', '/metrics', { token })).text;

describe('GET /metrics', () => {
  it('is never open by accident: no token is a 401, a metrics-reporter token a 403', async () => {
    expect((await ts.api('GET', '/metrics')).status).toBe(401);
    expect((await ts.api('GET', '/metrics', { token: 'wrong-secret' })).status).toBe(401);
    expect((await ts.api('GET', '/metrics', { as: 'metrics' })).status).toBe(403);
    const ok = await ts.api('GET', '/metrics', { as: 'viewer' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
  });

  it('moves with kills, audit entries, requests, database writes, connected SDKs and push fan-out', async () => {
    const before = await scrape();
    const { key } = await issueSdkKey(ts);
    for (let i = 0; i < 3; i++) {
      const p = sdkPeer(ts, key);
      await p.next((m) => m.type === 'snapshot');
      peers.push(p);
    }
    await createFlag(ts, 'watched');
    const kill = await ts.api('POST', '/api/flags/watched/kill', { as: 'oncall', body: { reason: 'cost spike' } });
    expect(kill.status).toBe(200);
    await Promise.all(peers.map((p) => p.next((m) => m.type === 'changes' && m.flags.some((f: any) => f.key === 'watched' && f.killed))));
    const after = await scrape();

    expect(value(after, 'switchyard_flag_actions_total{action="flag.kill"}')).toBe(1);
    expect(value(after, 'switchyard_audit_entries_total{action="flag.create"}')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'switchyard_sdk_connections')).toBe(3);
    expect(value(after, 'switchyard_http_requests_total{route="/api/flags/:key/kill",method="POST",status="200"}')).toBe(1);
    expect(value(after, 'switchyard_db_write_duration_seconds_count')!).toBeGreaterThan(value(before, 'switchyard_db_write_duration_seconds_count') ?? 0);
    expect(value(after, 'switchyard_push_fanout_seconds_count')!).toBeGreaterThanOrEqual(1);
    // Nobody acknowledged yet (raw peers do not ack on their own): all three are pending for the flag.
    expect(value(after, 'switchyard_sdk_unacknowledged{flag="watched"}')).toBe(3);
  });

  it('is served without auth on the separate METRICS_LISTEN address', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('switchyard_http_requests_total');
  });
});

/** promtool (Debian package `prometheus`) on PATH, or undefined. */
function promtool(): string | undefined {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return r.error ? undefined : 'promtool';
}

describe('the route label', () => {
  it('is the route table path for every status of a route: a 404 or 403 on POST /api/flags/:key/kill counts under the same label as its 200s', async () => {
    await createFlag(ts, 'labelled');
    expect((await ts.api('POST', '/api/flags/labelled/kill', { as: 'oncall', body: { reason: 'label check' } })).status).toBe(200);
    expect((await ts.api('POST', '/api/flags/no-such-flag/kill', { as: 'oncall', body: { reason: 'label check' } })).status).toBe(404);
    expect((await ts.api('POST', '/api/flags/labelled/kill', { as: 'viewer', body: { reason: 'label check' } })).status).toBe(403);
    expect((await ts.api('POST', '/api/flags/labelled/kill', { as: 'oncall', body: { reason: '' } })).status).toBe(400);
    const text = await scrape();
    const routes = (status: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('switchyard_http_requests_total{') && l.includes('method="POST"') && l.includes(`status="${status}"`) && l.includes('kill'))
        .map((l) => /route="([^"]*)"/.exec(l)![1]);
    for (const status of ['200', '404', '403', '400']) expect(routes(status), `status ${status}`).toEqual(['/api/flags/:key/kill']);
    expect(value(text, 'switchyard_http_requests_total{route="/api/flags/:key/kill",method="POST",status="404"}')).toBe(1);
  });

  it('is "unmatched" for a path no route serves', async () => {
    expect((await ts.api('GET', '/api/no-such-route', { as: 'viewer' })).status).toBe(404);
    expect(value(await scrape(), 'switchyard_http_requests_total{route="unmatched",method="GET",status="404"}')).toBeGreaterThanOrEqual(1);
  });
});

describe('promtool check metrics', () => {
  it("passes on a scrape of /metrics (Prometheus' own linter; required in CI)", async (ctx) => {
    const tool = promtool();
    if (!tool) {
      // In CI a missing promtool is a failure, never a silent skip (.ci/run installs it).
      if (process.env.CI === 'true') expect.fail('promtool is not on PATH: apt-get install -y prometheus');
      ctx.skip();
      return;
    }
    await createFlag(ts, 'linted');
    await ts.api('POST', '/api/flags/linted/kill', { as: 'oncall', body: { reason: 'lint' } });
    const text = await scrape();
    const r = spawnSync(tool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.stdout + r.stderr, 'promtool findings').toBe('');
    expect(r.status).toBe(0);
  });
});

