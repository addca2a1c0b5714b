import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ config: { authFailureLimit: 5 } });
});
afterAll(() => ts.close());

describe('repeated authentication failures', () => {
  it('are refused with 429 and Retry-After once an address passes the limit, even with a good token after', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await ts.api('GET', '/api/flags', { token: `not-a-token-${i}` })).status).toBe(401);
    }
    const limited = await ts.api('GET', '/api/flags', { token: 'still-guessing' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('too_many_auth_failures');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The address is blocked as a whole until the window ends: guessing cannot continue.
    expect((await ts.api('GET', '/api/flags', { as: 'viewer' })).status).toBe(429);
  });

  it('are refused with Retry-After everywhere a credential is checked: /metrics and the websocket upgrades too', async () => {
    for (let i = 0; i < 5; i++) await ts.api('GET', '/api/flags', { token: `guess-${i}` });
    const metrics = await ts.api('GET', '/metrics', { as: 'viewer' });
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
  });
});
