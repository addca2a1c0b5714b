/**
 * The fail-safe lease (issue 15) through a real server: `maxStaleSeconds` on a flag, validated at
 * the edge, pushed to SDKs, and a real Node client behind a TCP proxy that the test cuts.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client, type ClientStatus, type StaleReport, type WebSocketConstructor } from '@switchyard-flags/sdk';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, startProxy } from './helpers/push-client.js';
import { auditOf, putPlan, signAndAdvance } from './rollout-fixtures.js';

/** Resolves on the first status event (or the current state) that `ok` accepts. */
function statusWhere(client: Client, ok: (s: ClientStatus, r: StaleReport | null) => boolean): Promise<StaleReport | null> {
  if (ok(client.status, client.stale)) return Promise.resolve(client.stale);
  return new Promise((resolve) => {
    const off = client.on('status', (s, r) => {
      if (ok(s, r)) {
        off();
        resolve(r);
      }
    });
  });
}

describe('the fail-safe lease (maxStaleSeconds) through a real server', () => {
  let ts: TestServer;
  let sdkKey: string;
  beforeAll(async () => {
    ts = await startTestServer({ config: { heartbeatMs: 200 } });
    sdkKey = (await issueSdkKey(ts)).key;
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('maxStaleSeconds is a flag field: set on create, changed and cleared by PATCH, audited, shown in the view', async () => {
    const created = await createFlag(ts, 'leased-field', { maxStaleSeconds: 30 });
    expect(created.maxStaleSeconds).toBe(30);
    const plain = await createFlag(ts, 'unleased-field');
    expect(plain.maxStaleSeconds).toBeNull();
    const patched = await ts.api('PATCH', '/api/flags/leased-field', { as: 'engineer', body: { version: 1, maxStaleSeconds: 120, reason: 'longer lease' } });
    expect(patched.status).toBe(200);
    expect(patched.body.maxStaleSeconds).toBe(120);
    const [entry] = (await auditOf(ts, 'leased-field', 'flag.update')).slice(-1);
    expect(entry.before.maxStaleSeconds).toBe(30);
    expect(entry.after.maxStaleSeconds).toBe(120);
    const cleared = await ts.api('PATCH', '/api/flags/leased-field', { as: 'engineer', body: { version: 2, maxStaleSeconds: null } });
    expect(cleared.body.maxStaleSeconds).toBeNull();
  });

  it.each([[0], [-1], [1.5], [604_801], ['30'], [true]])('maxStaleSeconds %j is a 400 that changes nothing', async (bad) => {
    const create = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'bad-lease', owner: 'ai-eng@acme', maxStaleSeconds: bad } });
    expect(create.status).toBe(400);
    expect(create.body.error).toMatchObject({ code: 'invalid_body' });
    expect(JSON.stringify(create.body.error.details)).toContain('maxStaleSeconds');
    expect((await ts.api('GET', '/api/flags/bad-lease', { as: 'viewer' })).status).toBe(404);
    const before = await ts.api('GET', '/api/flags/unleased-field', { as: 'viewer' });
    const patch = await ts.api('PATCH', '/api/flags/unleased-field', { as: 'engineer', body: { version: before.body.version, maxStaleSeconds: bad } });
    expect(patch.status).toBe(400);
    const after = await ts.api('GET', '/api/flags/unleased-field', { as: 'viewer' });
    expect(after.body).toEqual(before.body);
  });

  it('the flag state SDKs get carries maxStaleSeconds only for a leased flag', async () => {
    const r = await fetch(`${ts.url}/sdk/flags`, { headers: { authorization: `Bearer ${sdkKey}` } });
    const { flags } = (await r.json()) as { flags: Array<{ key: string; maxStaleSeconds?: number }> };
    expect(flags.find((f) => f.key === 'unleased-field')).not.toHaveProperty('maxStaleSeconds');
    await ts.api('PATCH', '/api/flags/unleased-field', { as: 'engineer', body: { version: 1, maxStaleSeconds: 45 } });
    const again = (await (await fetch(`${ts.url}/sdk/flags`, { headers: { authorization: `Bearer ${sdkKey}` } })).json()) as typeof flags extends infer F ? { flags: F } : never;
    expect(again.flags.find((f) => f.key === 'unleased-field')?.maxStaleSeconds).toBe(45);
  });

  it('a Node SDK cut off from the server serves a leased flag its off value with status stale naming it, and the on value again once it hears', async () => {
    await createFlag(ts, 'risky-prompt', { on: 'v2', off: 'v1', maxStaleSeconds: 2 });
    await createFlag(ts, 'calm-prompt', { on: 'v2', off: 'v1' });
    for (const key of ['risky-prompt', 'calm-prompt']) {
      const plan = await putPlan(ts, key, { stages: [{ percent: 100 }] });
      expect(plan.status).toBe(200);
      await signAndAdvance(ts, key);
    }
    const proxy = await startProxy(ts.running.port);
    const client = createClient({
      url: proxy.url, sdkKey, WebSocket: WebSocket as unknown as WebSocketConstructor, telemetryIntervalMs: 0, reconnect: { initialMs: 50, maxMs: 100 },
    });
    try {
      expect(await client.ready()).toBe(true);
      expect(client.value('risky-prompt', { key: 'u1' }, 'fallback')).toBe('v2');

      proxy.blackhole = true; // the server goes silent: nothing, not even a close, reaches the client
      proxy.cut();
      const report = await statusWhere(client, (s, r) => s === 'stale' && !!r?.flags.includes('risky-prompt'));
      expect(report).toMatchObject({ reason: 'lease_lapsed', flags: ['risky-prompt'] });
      expect(report!.message).toMatch(/^risky-prompt off \(lease lapsed\): no word from the server for \d+ s$/);
      expect(Date.parse(report!.lastHeardAt!)).toBeLessThanOrEqual(Date.now());
      expect(client.value('risky-prompt', { key: 'u1' }, 'fallback')).toBe('v1');
      expect(client.evaluate('risky-prompt', { key: 'u1' })).toMatchObject({ value: 'v1', reason: 'STALE' });
      expect(client.value('calm-prompt', { key: 'u1' }, 'fallback')).toBe('v2'); // no lease: last-known

      proxy.blackhole = false; // the path comes back: the client reconnects and hears
      proxy.cut();
      await statusWhere(client, (s, r) => s === 'ready' && r === null);
      expect(client.value('risky-prompt', { key: 'u1' }, 'fallback')).toBe('v2');
      expect(client.evaluate('risky-prompt', { key: 'u1' }).reason).toBe('ROLLOUT_IN');
    } finally {
      client.close();
      await proxy.close();
    }
  });
});
