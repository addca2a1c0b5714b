/**
 * Issue 20 finding 8: a lease shorter than the heartbeat. An SDK hears from the server only once
 * per heartbeat (HEARTBEAT_MS, 15 s by default), so a flag whose `maxStaleSeconds` is below two
 * heartbeats would lapse between beats and serve `off` to healthy SDKs. Such a lease is a 400
 * that names both numbers and changes nothing. Runs on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

describe('a lease must outlast two heartbeats', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer(); // the default heartbeat: 15 s
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('creating a flag with maxStaleSeconds 5 under the 15 s heartbeat is a 400 naming both numbers, and no flag is created', async () => {
    const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'short-lease', owner: 'ai-eng@acme', maxStaleSeconds: 5 } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_body');
    expect(res.body.error.message).toContain('maxStaleSeconds 5');
    expect(res.body.error.message).toContain('15 s');
    expect(res.body.error.message).toContain('at least 30');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'maxStaleSeconds' })]);
    expect((await ts.api('GET', '/api/flags/short-lease', { as: 'viewer' })).status).toBe(404);
  });

  it('patching a lease down to 29 s is a 400 that leaves the flag and its audit as they were', async () => {
    const created = await createFlag(ts, 'patched-lease', { maxStaleSeconds: 300 });
    const res = await ts.api('PATCH', '/api/flags/patched-lease', { as: 'engineer', body: { version: created.version, maxStaleSeconds: 29 } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('maxStaleSeconds 29');
    expect(res.body.error.message).toContain('15 s');
    const after = await ts.api('GET', '/api/flags/patched-lease', { as: 'viewer' });
    expect(after.body).toEqual(created);
    const audit = await ts.api('GET', '/api/audit?flag=patched-lease', { as: 'viewer' });
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual(['flag.create']);
  });

  it('a lease of exactly two heartbeats (30 s) is accepted, and null still turns the lease off', async () => {
    const created = await createFlag(ts, 'two-beats', { maxStaleSeconds: 30 });
    expect(created.maxStaleSeconds).toBe(30);
    const cleared = await ts.api('PATCH', '/api/flags/two-beats', { as: 'engineer', body: { version: created.version, maxStaleSeconds: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.maxStaleSeconds).toBeNull();
  });

  it('the bound follows HEARTBEAT_MS: with a 200 ms heartbeat a 1 s lease is accepted', async () => {
    const fast = await startTestServer({ config: { heartbeatMs: 200 } });
    try {
      expect((await createFlag(fast, 'fast-lease', { maxStaleSeconds: 1 })).maxStaleSeconds).toBe(1);
    } finally {
      await fast.close();
    }
  });
});
