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
});
