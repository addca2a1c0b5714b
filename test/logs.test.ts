import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.close());

describe('logs', () => {
  it('are JSON lines with the server\'s own request id, which also lands in the audit entry; the client\'s X-Request-Id is kept beside it as clientRequestId', async () => {
    const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'logged', owner: 'o' }, headers: { 'x-request-id': 'req-abc-123' } });
    const rid = res.headers.get('x-request-id');
    expect(rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const line = ts.logs.map((l) => JSON.parse(l)).find((l) => l.requestId === rid);
    expect(line).toMatchObject({ method: 'POST', path: '/api/flags', status: 201, actor: 'engineer-user', clientRequestId: 'req-abc-123' });
    const audit = await ts.api('GET', '/api/audit?flag=logged', { as: 'viewer' });
    expect(audit.body.entries[0]).toMatchObject({ requestId: rid, clientRequestId: 'req-abc-123' });
  });

  it('two callers sending the same X-Request-Id get two different request ids in the audit trail, and the chain still verifies', async () => {
    await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'same-id-a', owner: 'o' }, headers: { 'x-request-id': 'shared-1' } });
    await ts.api('POST', '/api/flags', { as: 'admin', body: { key: 'same-id-b', owner: 'o' }, headers: { 'x-request-id': 'shared-1' } });
    const a = (await ts.api('GET', '/api/audit?flag=same-id-a', { as: 'viewer' })).body.entries[0];
    const b = (await ts.api('GET', '/api/audit?flag=same-id-b', { as: 'viewer' })).body.entries[0];
    expect(a.clientRequestId).toBe('shared-1');
    expect(b.clientRequestId).toBe('shared-1');
    expect(a.requestId).not.toBe(b.requestId);
    expect((await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.ok).toBe(true);
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
