import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, sdkPeer, type RawPeer } from './helpers/push-client.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

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
