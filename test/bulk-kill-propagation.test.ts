import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkKillResult, BulkRestoreResult } from '@switchyard-flags/sdk/api';
import { createClient, type Client } from '@switchyard-flags/sdk/node';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, sdkPeer } from './helpers/push-client.js';

describe('acknowledgements for kills and restores by tag or of all flags', () => {
  let ts: TestServer;
  let key: string;
  const clients: Client[] = [];

  const stateVersionOf = async (flag: string): Promise<number> => (await ts.api('GET', `/api/flags/${flag}`, { as: 'viewer' })).body.stateVersion;
  const killedState = async () =>
    Object.fromEntries(((await ts.api('GET', '/api/flags', { as: 'viewer' })).body.flags as Array<{ key: string; killed: boolean }>).map((f) => [f.key, f.killed]));

  beforeAll(async () => {
    ts = await startTestServer();
    key = (await issueSdkKey(ts, 'bulk-kill-apps')).key;
    await createFlag(ts, 'chat-summary', { tags: ['provider-x'], on: 'v2', off: 'v1' });
    await createFlag(ts, 'smart-reply', { tags: ['provider-x'] });
    await createFlag(ts, 'old-prompt', { tags: ['provider-x'] });
    await createFlag(ts, 'checkout-v2', { tags: ['payments'] });
    expect((await ts.api('POST', '/api/flags/old-prompt/kill', { as: 'oncall', body: { reason: 'retired prompt' } })).status).toBe(200);
    for (let i = 0; i < 3; i++) clients.push(createClient({ url: ts.url, sdkKey: key, WebSocket: WebSocket as never }));
    expect(await Promise.all(clients.map((c) => c.ready({ timeoutMs: 5000 })))).toEqual([true, true, true]);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await ts?.close();
  });

  it('a kill by tag with waitMs reports, for each flag it killed, that every connected SDK applied it', async () => {
    const res = await ts.api<BulkKillResult>('POST', '/api/kill', { as: 'oncall', body: { tag: 'provider-x', reason: 'provider-x outage, INC-2240', waitMs: 5000 } });
    expect(res.status).toBe(200);
    expect(res.body.killed.sort()).toEqual(['chat-summary', 'smart-reply']);
    expect(res.body.alreadyKilled).toEqual(['old-prompt']);
    expect(Object.keys(res.body.propagation!).sort()).toEqual(['chat-summary', 'smart-reply']);
    for (const flag of res.body.killed) {
      expect(res.body.propagation![flag]).toMatchObject({ key: flag, stateVersion: await stateVersionOf(flag), connected: 3, applied: 3, pending: 0 });
      expect(res.body.propagation![flag]!.slowestMs).toBeGreaterThanOrEqual(0);
    }
    // Acknowledged means applied: every client already serves the off value.
    for (const c of clients) {
      expect(c.evaluate('chat-summary', { key: 'u1' })).toMatchObject({ value: 'v1', reason: 'KILLED' });
      expect(c.evaluate('smart-reply', { key: 'u1' }).reason).toBe('KILLED');
      expect(c.evaluate('checkout-v2', { key: 'u1' }).reason).toBe('NOT_STARTED');
    }
  });

  it('a restore of all flags with waitMs reports each restored flag, and an answer without waitMs carries no figures', async () => {
    const res = await ts.api<BulkRestoreResult>('POST', '/api/restore', { as: 'engineer', body: { all: true, reason: 'provider-x is back', waitMs: 5000 } });
    expect(res.status).toBe(200);
    expect(res.body.restored.sort()).toEqual(['chat-summary', 'old-prompt', 'smart-reply']);
    expect(res.body.alreadyLive).toEqual(['checkout-v2']);
    expect(Object.keys(res.body.propagation!).sort()).toEqual(['chat-summary', 'old-prompt', 'smart-reply']);
    for (const flag of res.body.restored) {
      expect(res.body.propagation![flag]).toMatchObject({ key: flag, stateVersion: await stateVersionOf(flag), connected: 3, applied: 3, pending: 0 });
    }
    for (const c of clients) expect(c.evaluate('old-prompt', { key: 'u1' }).reason).toBe('NOT_STARTED');

    const plain = await ts.api<BulkKillResult>('POST', '/api/kill', { as: 'oncall', body: { tag: 'payments', reason: 'checkout errors' } });
    expect(plain.body).toEqual({ killId: expect.any(String), killed: ['checkout-v2'], alreadyKilled: [] });
    const again = await ts.api<BulkKillResult>('POST', '/api/kill', { as: 'oncall', body: { tag: 'payments', reason: 'checkout errors', waitMs: 1000 } });
    expect(again.body).toEqual({ killId: null, killed: [], alreadyKilled: ['checkout-v2'], propagation: {} });
    expect((await ts.api('POST', '/api/restore', { as: 'oncall', body: { tag: 'payments', reason: 'fixed' } })).status).toBe(200);
  });

  it('counts a connected SDK that has not acknowledged as pending for every killed flag', async () => {
    for (const c of clients.splice(0)) c.close();
    const silent = sdkPeer(ts, key);
    await silent.next((m) => m.type === 'snapshot');
    await expect.poll(async () => (await ts.api('GET', '/api/flags/chat-summary/propagation', { as: 'viewer' })).body.connected).toBe(1);
    const res = await ts.api<BulkKillResult>('POST', '/api/kill', { as: 'oncall', body: { tag: 'provider-x', reason: 'second outage', waitMs: 0 } });
    expect(res.status).toBe(200);
    expect(res.body.killed.sort()).toEqual(['chat-summary', 'old-prompt', 'smart-reply']);
    for (const flag of res.body.killed) expect(res.body.propagation![flag]).toMatchObject({ connected: 1, applied: 0, pending: 1, slowestMs: null });

    const changes = await silent.next((m) => m.type === 'changes');
    silent.send({ type: 'ack', version: changes.version });
    await expect.poll(async () => (await ts.api('GET', '/api/flags/smart-reply/propagation', { as: 'viewer' })).body.applied).toBe(1);
    silent.ws.close();
    await silent.closed;
  });

  it('rejects a waitMs that is not a whole number of milliseconds from 0 to 5000 with a 400, and changes nothing', async () => {
    const before = await killedState();
    const auditBefore = (await ts.api('GET', '/api/audit?limit=1', { as: 'viewer' })).body.entries[0].seq;
    for (const path of ['/api/kill', '/api/restore']) {
      for (const waitMs of [5001, -1, 1.5, '2000', null]) {
        const res = await ts.api('POST', path, { as: 'oncall', body: { all: true, reason: 'bad wait', waitMs } });
        expect(res.status, `${path} waitMs ${JSON.stringify(waitMs)}`).toBe(400);
        expect(res.body.error.code).toBe('invalid_body');
        expect(JSON.stringify(res.body.error.details)).toContain('waitMs');
      }
    }
    expect(await killedState()).toEqual(before);
    expect((await ts.api('GET', '/api/audit?limit=1', { as: 'viewer' })).body.entries[0].seq).toBe(auditBefore);
  });
});
