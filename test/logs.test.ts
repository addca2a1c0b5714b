import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.close());

describe('logs', () => {
  it('are JSON lines with the request id that also lands in the audit entry', async () => {
    const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'logged', owner: 'o' }, headers: { 'x-request-id': 'req-abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    const line = ts.logs.map((l) => JSON.parse(l)).find((l) => l.requestId === 'req-abc-123');
    expect(line).toMatchObject({ method: 'POST', path: '/api/flags', status: 201, actor: 'engineer-user' });
    const audit = await ts.api('GET', '/api/audit?flag=logged', { as: 'viewer' });
    expect(audit.body.entries[0].requestId).toBe('req-abc-123');
  });

  it('never contain a token, an SDK key or the signing secret', async () => {
    const secrets: string[] = [Buffer.from(ts.running.secret).toString('base64url')];
    for (const role of ['admin', 'engineer', 'oncall', 'viewer'] as const) secrets.push(await ts.token(role));
    const key = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'svc' } })).body.key as string;
    secrets.push(key);
    await createFlag(ts, 'quiet');
    await ts.api('POST', '/api/flags/quiet/kill', { as: 'oncall', body: { reason: 'r' } });
    await ts.api('GET', '/api/flags', { token: key });
    await ts.api('GET', '/api/flags', { token: secrets[1] + 'tampered' });
    await ts.api('GET', '/sdk/flags', { token: key });
    await ts.api('POST', '/api/flags', { as: 'admin', body: `{"key": "${key}"` });
    expect(ts.logs.length).toBeGreaterThan(5);
    const all = ts.logs.join('\n');
    for (const s of secrets) {
      expect(all).not.toContain(s);
      // Not even the signature part of a JWT.
      expect(all).not.toContain(s.split('.').pop()!);
    }
  });
});
