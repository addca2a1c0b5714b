import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, rawPeer, sdkPeer, upgradeStatus, wsUrl, type RawPeer } from './helpers/push-client.js';

/**
 * The next message that is not a heartbeat. Heartbeats go to every live connection on a timer
 * (every 200 ms here), so one may arrive between any two messages a test waits for; any other
 * message in between is still taken and fails the assertion.
 */
const nextBesidesHeartbeats = (p: RawPeer) => p.next((m) => m.type !== 'heartbeat');

describe('the SDK stream (/sdk/stream)', () => {
  let ts: TestServer;
  let key: string;

  beforeAll(async () => {
    ts = await startTestServer({ config: { heartbeatMs: 200, allowedOrigins: ['https://app.acme.com'], maxConnectionsPerKey: 3 } });
    key = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'support-draft', { on: 'v2', off: 'v1' });
    await createFlag(ts, 'new-model');
  });
  afterAll(() => ts.close());

  it('answers a hello with a snapshot of every live flag, then sends heartbeats', async () => {
    const p = sdkPeer(ts, key);
    const snap = await p.next();
    expect(snap).toMatchObject({ type: 'snapshot', heartbeatMs: 200 });
    expect(snap.version).toBeGreaterThan(0);
    expect(snap.flags.map((f: any) => f.key).sort()).toEqual(['new-model', 'support-draft']);
    expect(snap.flags.find((f: any) => f.key === 'support-draft')).toMatchObject({ on: 'v2', off: 'v1', killed: false, stage: 0 });
    expect(await p.next((m) => m.type === 'heartbeat')).toEqual({ type: 'heartbeat', version: snap.version });
    p.ws.close();
  });

  it('takes the key from a browser subprotocol and selects switchyard.v1', async () => {
    const p = rawPeer(wsUrl(ts.url), { protocols: ['switchyard.v1', `sdk-key.${key}`] });
    p.ws.on('open', () => p.send({ type: 'hello', protocol: 1, version: 0 }));
    expect((await p.next()).type).toBe('snapshot');
    expect(p.ws.protocol).toBe('switchyard.v1');
    p.ws.close();
  });

  it('refuses a missing, unknown or revoked key with 401 before a socket exists, and a user token with 403', async () => {
    const url = wsUrl(ts.url);
    expect(await upgradeStatus(url)).toBe(401);
    expect(await upgradeStatus(url, { headers: { authorization: 'Bearer sy_sdk_nope' } })).toBe(401);
    expect(await upgradeStatus(url, { protocols: ['switchyard.v1', 'sdk-key.sy_sdk_nope'] })).toBe(401);
    const revoked = await issueSdkKey(ts, 'old-app');
    expect((await ts.api('POST', `/api/sdk-keys/${revoked.id}/revoke`, { as: 'admin', body: {} })).status).toBe(200);
    expect(await upgradeStatus(url, { headers: { authorization: `Bearer ${revoked.key}` } })).toBe(401);
    expect(await upgradeStatus(url, { headers: { authorization: `Bearer ${await ts.token('admin')}` } })).toBe(403);
  });

  it('refuses a browser origin outside the allowlist with 403 and lets an allowed one in', async () => {
    const url = wsUrl(ts.url);
    const protocols = ['switchyard.v1', `sdk-key.${key}`];
    expect(await upgradeStatus(url, { protocols, origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(url, { protocols, origin: 'https://app.acme.com' })).toBe(101);
  });

  it('a key past its share of connections loses its oldest one (4429 evicted), never the newcomer', async () => {
    const { key: k } = await issueSdkKey(ts, 'limited');
    const peers = [sdkPeer(ts, k), sdkPeer(ts, k), sdkPeer(ts, k)];
    for (const p of peers) await p.next((m) => m.type === 'snapshot');
    const newcomer = sdkPeer(ts, k);
    expect((await newcomer.next((m) => m.type === 'snapshot')).type).toBe('snapshot');
    expect(await peers[0]!.closed).toEqual({ code: 4429, reason: 'evicted' });
    expect(peers[0]!.messages.find((m) => m.type === 'error')).toMatchObject({ code: 'evicted', message: expect.stringContaining('MAX_CONNECTIONS_PER_KEY') });
    expect(peers[1]!.ws.readyState).toBe(peers[1]!.ws.OPEN);
    for (const p of [...peers, newcomer]) p.ws.close();
  });

  it('resumes from a held version with only what changed since, archived flags as removals', async () => {
    const first = sdkPeer(ts, key);
    const held = (await first.next()).version;
    first.ws.close();
    await createFlag(ts, 'retrieval-v2');
    expect((await ts.api('POST', '/api/flags/support-draft/kill', { as: 'oncall', body: { reason: 'bad drafts' } })).status).toBe(200);
    expect((await ts.api('POST', '/api/flags/retrieval-v2/archive', { as: 'engineer', body: {} })).status).toBe(200);
    const p = sdkPeer(ts, key, held);
    const m = await p.next();
    expect(m).toMatchObject({ type: 'changes', since: held, removed: ['retrieval-v2'] });
    expect(m.version).toBeGreaterThan(held);
    expect(m.flags.map((f: any) => [f.key, f.killed])).toEqual([['support-draft', true]]);
    p.ws.close();
  });

  it('pushes a change to a live connection as changes since the last version', async () => {
    const p = sdkPeer(ts, key);
    const snap = await p.next();
    await ts.api('POST', '/api/flags/new-model/kill', { as: 'oncall', body: { reason: 'cost spike' } });
    const m = await p.next((x) => x.type === 'changes');
    expect(m).toMatchObject({ type: 'changes', since: snap.version, removed: [] });
    expect(m.flags).toEqual([expect.objectContaining({ key: 'new-model', killed: true })]);
    p.ws.close();
  });

  it('closes a garbage frame with an error message and 4400', async () => {
    const p = sdkPeer(ts, key);
    await p.next();
    p.send('this is not json');
    expect(await nextBesidesHeartbeats(p)).toMatchObject({ type: 'error', code: 'malformed_message' });
    expect((await p.closed).code).toBe(4400);
  });

  it('closes an unknown message type, an ack before hello and a second hello with 4400', async () => {
    const unknown = sdkPeer(ts, key);
    await unknown.next();
    unknown.send({ type: 'subscribe', flags: ['x'] });
    expect((await unknown.closed).code).toBe(4400);

    const early = rawPeer(wsUrl(ts.url), { headers: { authorization: `Bearer ${key}` } });
    early.ws.on('open', () => early.send({ type: 'ack', version: 1 }));
    expect((await early.closed).code).toBe(4400);

    const twice = sdkPeer(ts, key);
    await twice.next();
    twice.send({ type: 'hello', protocol: 1, version: 0 });
    expect((await twice.closed).code).toBe(4400);

    const future = sdkPeer(ts, key);
    await future.next();
    future.send({ type: 'hello', protocol: 2, version: 0 });
    expect((await future.closed).code).toBe(4400);
  });

  it('closes a frame over 64 KiB with 1009', async () => {
    const p = sdkPeer(ts, key);
    await p.next();
    p.send({ type: 'telemetry', pad: 'x'.repeat(70 * 1024) });
    expect((await p.closed).code).toBe(1009);
  });

  it('closes the live connections of a key when it is revoked, with 4401', async () => {
    const k = await issueSdkKey(ts, 'to-revoke');
    const p = sdkPeer(ts, k.key);
    await p.next();
    await ts.api('POST', `/api/sdk-keys/${k.id}/revoke`, { as: 'admin', body: { reason: 'leaked' } });
    expect(await nextBesidesHeartbeats(p)).toMatchObject({ type: 'error', code: 'key_revoked' });
    expect((await p.closed).code).toBe(4401);
  });

  it('closes a connection that never says hello with 4408', async () => {
    const p = rawPeer(wsUrl(ts.url), { headers: { authorization: `Bearer ${key}` } });
    expect(await p.next()).toMatchObject({ type: 'error', code: 'hello_timeout' });
    expect((await p.closed).code).toBe(4408);
  });
});

describe('a slow consumer', () => {
  it('is cut once its unsent backlog passes the cap, and the others keep receiving', async () => {
    const ts = await startTestServer({ config: { maxBufferedBytes: 64 * 1024 } });
    try {
      const { key } = await issueSdkKey(ts);
      const big = 'x'.repeat(15_000);
      for (const k of ['big-1', 'big-2', 'big-3', 'big-4']) await createFlag(ts, k, { tags: ['big'], on: big, off: big + 'y' });
      const slow = sdkPeer(ts, key);
      const healthy = sdkPeer(ts, key);
      await Promise.all([slow.next(), healthy.next()]);
      // Stop reading: the kernel buffers fill, then the server's send backlog grows.
      (slow.ws as any)._socket.pause();
      let rounds = 0;
      while (ts.running.push.sdk.size > 1 && rounds < 200) {
        const path = rounds++ % 2 === 0 ? '/api/kill' : '/api/restore';
        expect((await ts.api('POST', path, { as: 'oncall', body: { tag: 'big', reason: `round ${rounds}` } })).status).toBe(200);
      }
      expect(ts.running.push.sdk.size).toBe(1);
      expect(ts.logs.some((l) => l.includes('slow consumer cut'))).toBe(true);
      // The healthy peer got every round.
      await healthy.next((m) => m.type === 'changes' && m.version === ts.running.services.push.feed.version);
      healthy.ws.close();
      slow.ws.terminate();
    } finally {
      await ts.close();
    }
  });
});
