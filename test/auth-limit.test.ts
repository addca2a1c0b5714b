import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSdkKey, rawPeer, sdkPeer, upgradeStatus, wsUrl } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ config: { authFailureLimit: 5 } });
});
afterAll(() => ts.close());

/** Sends the request line and headers only, and resolves with the status line and headers the server answers with. */
function headersOnly(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), hostname, () => s.write(head));
    let got = '';
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n\r\n')) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
  });
}

describe('repeated authentication failures', () => {
  it('are refused with 429 and Retry-After once an address passes the limit, while a valid token from it still works', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await ts.api('GET', '/api/flags', { token: `not-a-token-${i}` })).status).toBe(401);
    }
    const limited = await ts.api('GET', '/api/flags', { token: 'still-guessing' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('too_many_auth_failures');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Anonymous requests from the address are refused too; a credential that verifies is not.
    expect((await ts.api('GET', '/api/flags')).status).toBe(429);
    expect((await ts.api('GET', '/api/flags', { as: 'viewer' })).status).toBe(200);
  });

  it('are refused with Retry-After everywhere a credential is checked: /metrics and the websocket upgrades too', async () => {
    for (let i = 0; i < 5; i++) await ts.api('GET', '/api/flags', { token: `guess-${i}` });
    const metrics = await ts.api('GET', '/metrics', { token: 'guess-metrics' });
    expect(metrics.status).toBe(429);
    expect(Number(metrics.headers.get('retry-after'))).toBeGreaterThan(0);
    const upgrade = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${ts.url}/sdk/stream`, {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', authorization: 'Bearer sy_sdk_guess' },
      });
      req.on('response', resolve);
      req.on('upgrade', () => reject(new Error('the upgrade was accepted')));
      req.on('error', reject);
      req.end();
    });
    upgrade.resume();
    expect(upgrade.statusCode).toBe(429);
    expect(Number(upgrade.headers['retry-after'])).toBeGreaterThan(0);
    expect((await ts.api('GET', '/metrics', { as: 'viewer' })).status).toBe(200);
  });

  it('a refused address gets its 429 before its body is read: a 512 KB metric upload that never arrives is answered at once', async () => {
    for (let i = 0; i < 6; i++) await ts.api('GET', '/api/flags');
    const reply = await headersOnly(ts.url, `POST /api/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 524288\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1.1 429/);
    expect(reply.toLowerCase()).toContain('retry-after:');
    // And an anonymous body to a route is a 401 before it is read, from any address.
    const reply2 = await headersOnly(ts.url, `POST /api/flags HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n`);
    expect(reply2).toMatch(/^HTTP\/1.1 (401|429)/);
  });
});

describe('someone else failing never locks out a valid credential', () => {
  let fresh: TestServer;
  beforeAll(async () => {
    fresh = await startTestServer({ config: { authFailureLimit: 20 } });
  });
  afterAll(() => fresh.close());

  it('after 20 anonymous requests from the same address, on-call bulk kills, SDKs read /sdk/flags and open /sdk/stream, and the UI opens /api/stream', async () => {
    await createFlag(fresh, 'checkout-ai', { tags: ['ai'] });
    const { key } = await issueSdkKey(fresh);
    for (let i = 0; i < 21; i++) await fresh.api('GET', '/api/flags');
    expect((await fresh.api('GET', '/api/flags')).status).toBe(429);

    const kill = await fresh.api('POST', '/api/kill', { as: 'oncall', body: { tag: 'ai', reason: 'cost spike' } });
    expect(kill.status).toBe(200);
    expect(kill.body.killed).toContain('checkout-ai');
    const snap = await fresh.api('GET', '/sdk/flags', { token: key });
    expect(snap.status).toBe(200);
    expect(snap.body.flags.find((f: any) => f.key === 'checkout-ai').killed).toBe(true);
    const peer = sdkPeer(fresh, key);
    expect((await peer.next((m) => m.type === 'snapshot')).type).toBe('snapshot');
    peer.ws.close();
    const viewer = await fresh.token('viewer');
    const admin = rawPeer(wsUrl(fresh.url, '/api/stream'), { protocols: ['switchyard.admin.v1', `bearer.${viewer}`] });
    expect((await admin.next((m) => m.type === 'hello')).type).toBe('hello');
    admin.ws.close();
  });
});

describe('client addresses behind a proxy', () => {
  it('X-Forwarded-For is ignored unless the peer is a trusted proxy: a forged header cannot dodge the limit', async () => {
    const s = await startTestServer({ config: { authFailureLimit: 3 } });
    try {
      for (let i = 0; i < 4; i++) await s.api('GET', '/api/flags', { headers: { 'x-forwarded-for': `198.51.100.${i}` } });
      expect((await s.api('GET', '/api/flags', { headers: { 'x-forwarded-for': '198.51.100.99' } })).status).toBe(429);
    } finally {
      await s.close();
    }
  });

  it('with TRUST_PROXY, each client behind the proxy is counted on its own, and one client failing does not refuse another', async () => {
    const s = await startTestServer({ config: { authFailureLimit: 3, trustProxy: ['127.0.0.0/8'] } });
    try {
      const from = (ip: string) => ({ headers: { 'x-forwarded-for': `${ip}, 127.0.0.1` } });
      for (let i = 0; i < 4; i++) await s.api('GET', '/api/flags', from('203.0.113.5'));
      expect((await s.api('GET', '/api/flags', from('203.0.113.5'))).status).toBe(429);
      expect((await s.api('GET', '/api/flags', from('203.0.113.6'))).status).toBe(401);
      expect(await upgradeStatus(wsUrl(s.url), from('203.0.113.5'))).toBe(429);
      expect(await upgradeStatus(wsUrl(s.url), from('203.0.113.6'))).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('the same bad credential retried from many addresses is refused by its fingerprint', async () => {
    const s = await startTestServer({ config: { authFailureLimit: 3, trustProxy: ['127.0.0.1'] } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        statuses.push((await s.api('GET', '/api/flags', { token: 'leaked.expired.token', headers: { 'x-forwarded-for': `192.0.2.${i}` } })).status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      expect((await s.api('GET', '/api/flags', { token: 'another-guess', headers: { 'x-forwarded-for': '192.0.2.200' } })).status).toBe(401);
    } finally {
      await s.close();
    }
  });
});
