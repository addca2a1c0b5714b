import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client, type WebSocketConstructor } from '@switchyard-flags/sdk';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, rawPeer, sdkPeer, upgradeStatus, wsUrl } from './helpers/push-client.js';

describe('delivery acknowledgements', () => {
  let ts: TestServer;
  let key: string;

  beforeAll(async () => {
    ts = await startTestServer();
    key = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'support-draft', { on: 'v2', off: 'v1' });
  });
  afterAll(() => ts.close());

  it('a kill reaches every one of 20 connected SDK clients and the propagation endpoint counts their acknowledgements', async () => {
    const clients: Client[] = [];
    for (let i = 0; i < 20; i++) clients.push(createClient({ url: ts.url, sdkKey: key, WebSocket: WebSocket as unknown as WebSocketConstructor }));
    try {
      expect(await Promise.all(clients.map((c) => c.ready()))).toEqual(Array(20).fill(true));
      expect(clients.every((c) => c.evaluate('support-draft', { key: 'u1' }).reason === 'NOT_STARTED')).toBe(true);
      const changed = clients.map((c) => new Promise<void>((resolve) => c.on('change', ({ key: k }) => k === 'support-draft' && resolve())));

      const res = await ts.api('POST', '/api/flags/support-draft/kill', { as: 'oncall', body: { reason: 'bad drafts', waitMs: 5000 } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ key: 'support-draft', killed: true, changed: true });
      expect(res.body.propagation).toMatchObject({ key: 'support-draft', stateVersion: res.body.stateVersion, connected: 20, applied: 20, pending: 0 });
      expect(res.body.propagation.slowestMs).toBeGreaterThanOrEqual(0);

      await Promise.all(changed);
      for (const c of clients) expect(c.evaluate('support-draft', { key: 'u1' })).toMatchObject({ value: 'v1', reason: 'KILLED' });

      const prop = await ts.api('GET', '/api/flags/support-draft/propagation', { as: 'viewer' });
      expect(prop.status).toBe(200);
      expect(prop.body).toMatchObject({ key: 'support-draft', stateVersion: res.body.stateVersion, connected: 20, applied: 20, pending: 0 });
      expect(prop.body.medianMs).toBeLessThanOrEqual(prop.body.slowestMs);
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('counts a connected peer that never acknowledges as pending', async () => {
    const silent = sdkPeer(ts, key);
    await silent.next();
    const res = await ts.api('POST', '/api/flags/support-draft/restore', { as: 'oncall', body: { reason: 'fixed', waitMs: 300 } });
    expect(res.body.propagation).toMatchObject({ connected: 1, applied: 0, pending: 1, slowestMs: null });
    const changes = await silent.next((m) => m.type === 'changes');
    silent.send({ type: 'ack', version: changes.version });
    const after = await ts.api('POST', '/api/flags/support-draft/restore', { as: 'oncall', body: { reason: 'again', waitMs: 300 } });
    expect(after.body).toMatchObject({ changed: false });
    expect(after.body.propagation).toMatchObject({ connected: 1, applied: 1, pending: 0 });
    silent.ws.close();
    await silent.closed;
  });

  it('answers propagation of an unknown flag with 404, refuses SDK keys, and rejects a waitMs over 5000', async () => {
    expect((await ts.api('GET', '/api/flags/nope/propagation', { as: 'viewer' })).status).toBe(404);
    expect((await ts.api('GET', '/api/flags/support-draft/propagation', { token: key })).status).toBe(403);
    const bad = await ts.api('POST', '/api/flags/support-draft/kill', { as: 'oncall', body: { reason: 'x', waitMs: 6000 } });
    expect(bad.status).toBe(400);
    expect((await ts.api('GET', '/api/flags/support-draft', { as: 'viewer' })).body.killed).toBe(false);
  });
});

describe('the admin stream (/api/stream)', () => {
  let ts: TestServer;
  let key: string;

  beforeAll(async () => {
    ts = await startTestServer();
    key = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'new-model');
  });
  afterAll(() => ts.close());

  it('carries flag changes as flag views, audit entries and propagation figures as acks arrive', async () => {
    const ui = rawPeer(wsUrl(ts.url, '/api/stream'), { protocols: ['switchyard.admin.v1', `bearer.${await ts.token('viewer')}`] });
    const hello = await ui.next();
    expect(hello).toMatchObject({ type: 'hello' });
    expect(ui.ws.protocol).toBe('switchyard.admin.v1');
    const app = sdkPeer(ts, key);
    await app.next();

    const res = await ts.api('POST', '/api/flags/new-model/kill', { as: 'oncall', body: { reason: 'cost spike' } });
    const flag = await ui.next((m) => m.type === 'flag');
    expect(flag).toMatchObject({ type: 'flag', action: 'flag.kill', stateVersion: res.body.stateVersion });
    expect(flag.flag).toMatchObject({ key: 'new-model', killed: true, killReason: 'cost spike', owner: 'ai-eng@acme' });
    const audit = await ui.next((m) => m.type === 'audit');
    expect(audit.entry).toMatchObject({ action: 'flag.kill', flag: 'new-model', reason: 'cost spike', actor: 'oncall-user' });

    const changes = await app.next((m) => m.type === 'changes');
    app.send({ type: 'ack', version: changes.version });
    const reached = await ui.next((m) => m.type === 'propagation' && m.applied === 1);
    expect(reached).toMatchObject({ key: 'new-model', stateVersion: res.body.stateVersion, connected: 1, applied: 1, pending: 0 });
    expect(reached.slowestMs).toBeGreaterThanOrEqual(0);
    ui.ws.close();
    app.ws.close();
  });

  it('takes the JWT from the Authorization header too, and refuses bad tokens (401) and non-reader roles (403)', async () => {
    const url = wsUrl(ts.url, '/api/stream');
    expect(await upgradeStatus(url, { headers: { authorization: `Bearer ${await ts.token('engineer')}` } })).toBe(101);
    expect(await upgradeStatus(url)).toBe(401);
    expect(await upgradeStatus(url, { protocols: ['switchyard.admin.v1', 'bearer.not-a-jwt'] })).toBe(401);
    expect(await upgradeStatus(url, { protocols: ['switchyard.admin.v1', `bearer.${await ts.token('metrics')}`] })).toBe(403);
    expect(await upgradeStatus(url, { headers: { authorization: `Bearer ${key}` } })).toBe(403);
    expect(await upgradeStatus(wsUrl(ts.url, '/nowhere'), { headers: { authorization: `Bearer ${key}` } })).toBe(404);
  });
});

describe('GET /sdk/flags', () => {
  let ts: TestServer;
  let key: string;

  beforeAll(async () => {
    ts = await startTestServer();
    key = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'support-draft', { on: 'v2', off: 'v1' });
    await createFlag(ts, 'gone');
    await ts.api('POST', '/api/flags/gone/archive', { as: 'engineer', body: {} });
  });
  afterAll(() => ts.close());

  it('serves the snapshot with an ETag of the version, and 304 while it is unchanged', async () => {
    const res = await ts.api('GET', '/sdk/flags', { token: key });
    expect(res.status).toBe(200);
    expect(res.body.flags.map((f: any) => f.key)).toEqual(['support-draft']);
    expect(res.headers.get('etag')).toBe(`"${res.body.version}"`);
    const same = await ts.api('GET', '/sdk/flags', { token: key, headers: { 'if-none-match': `"${res.body.version}"` } });
    expect(same.status).toBe(304);
    expect(same.text).toBe('');

    await ts.api('POST', '/api/flags/support-draft/kill', { as: 'oncall', body: { reason: 'x' } });
    const moved = await ts.api('GET', '/sdk/flags', { token: key, headers: { 'if-none-match': `"${res.body.version}"` } });
    expect(moved.status).toBe(200);
    expect(moved.body.version).toBeGreaterThan(res.body.version);
    expect(moved.body.flags[0]).toMatchObject({ key: 'support-draft', killed: true });
  });

  it('takes SDK keys only: 401 without or with an unknown key, 403 for a user token', async () => {
    expect((await ts.api('GET', '/sdk/flags')).status).toBe(401);
    expect((await ts.api('GET', '/sdk/flags', { token: 'sy_sdk_unknown' })).status).toBe(401);
    expect((await ts.api('GET', '/sdk/flags', { as: 'admin' })).status).toBe(403);
  });
});
