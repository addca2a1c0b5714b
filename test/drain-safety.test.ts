import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@switchyard-flags/sdk';
import { issueSdkKey, sdkPeer } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { as, putPlan, signAndAdvance } from './rollout-fixtures.js';

// Issue 20, finding 10: SIGTERM's drain refused kills, and held OFREP streams kept it waiting its full time.

/** A request the server holds in flight (headers with `Expect: 100-continue`, half the body) until `finish()`. */
async function heldRequest(port: number, p: string, token: string, body: unknown) {
  const text = JSON.stringify(body);
  const sock = net.connect(port, '127.0.0.1');
  let got = '';
  const continued = new Promise<void>((resolve) => {
    sock.on('data', (d) => {
      got += d;
      if (got.includes('100 Continue')) resolve();
    });
  });
  const ended = new Promise<string>((resolve) => sock.once('close', () => resolve(got)));
  sock.write(
    `POST ${p} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
  );
  await continued;
  sock.write(text.slice(0, 5));
  return {
    finish(): Promise<string> {
      sock.write(text.slice(5));
      return ended;
    },
  };
}

/** A fetch over a fresh connection (as curl at 3am), answering status and JSON body. */
async function call(ts: TestServer, method: string, p: string, token?: string, body?: unknown) {
  const res = await fetch(ts.url + p, {
    method,
    headers: { connection: 'close', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

describe('SIGTERM drain', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(() => ts.close());

  it('during the drain a kill, a restore, a pause and a rollback are still accepted and pushed (an SDK with nowhere else to go reconnects here and receives them); other requests get 503; OFREP event streams end at drain start', async () => {
    await createFlag(ts, 'support-draft', { on: true, off: false });
    await createFlag(ts, 'new-model');
    await putPlan(ts, 'new-model', { stages: [{ percent: 5 }, { percent: 25 }, { percent: 100 }] });
    expect((await signAndAdvance(ts, 'new-model')).status).toBe(200);
    expect((await signAndAdvance(ts, 'new-model')).status).toBe(200);
    const { key } = await issueSdkKey(ts, 'checkout');
    // A raw peer to see each push, and the real SDK with this server as its only URL (one node: nowhere else to go).
    const sdk = sdkPeer(ts, key);
    const snap = await sdk.next((m) => m.type === 'snapshot');
    sdk.send({ type: 'ack', version: snap.version });
    const app = createClient({ url: ts.url, sdkKey: key, telemetryIntervalMs: 0, reconnect: { initialMs: 20, maxMs: 100 } });
    expect(await app.ready()).toBe(true);
    const killedInApp = () => app.snapshot().flags.find((f) => f.key === 'support-draft')?.killed;
    expect(killedInApp()).toBe(false);
    const client = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'web', kind: 'client' } });
    const bulk = await ts.api('POST', '/ofrep/v1/evaluate/flags', { body: { context: { targetingKey: 'u' } }, headers: { 'x-api-key': client.body.key } });
    const events = await fetch(bulk.body.eventStreams[0].url);
    const reader = events.body!.getReader();
    await reader.read();

    const held = await heldRequest(ts.running.port, '/api/flags', await ts.token('engineer'), { key: 'late-flag', owner: 'ai-eng@acme' });
    const drained = ts.running.drain(60);
    // Told to move (1012) at drain start; a new stream is still taken.
    expect(await sdk.closed).toMatchObject({ code: 1012 });
    const again = sdkPeer(ts, key);
    await again.next((m) => m.type === 'snapshot');

    // The event stream ends although a request is still held in flight.
    let ended = false;
    while (!ended) ended = await reader.read().then((r) => r.done, () => true);
    expect(ended).toBe(true);

    const oncall = await ts.token('oncall', 'night-shift');
    const kill = await call(ts, 'POST', '/api/flags/support-draft/kill', oncall, { reason: 'incident during deploy' });
    expect(kill.status).toBe(200);
    expect(kill.body).toMatchObject({ killed: true, changed: true });
    const pushed = await again.next((m) => m.type === 'changes' && m.flags.some((f: any) => f.key === 'support-draft' && f.killed));
    again.send({ type: 'ack', version: pushed.version });
    // The real SDK reconnected to this draining server and was pushed the kill.
    await new Promise<void>((resolve) => {
      const check = () => (killedInApp() ? resolve() : setTimeout(check, 20));
      check();
    });
    const restore = await call(ts, 'POST', '/api/flags/support-draft/restore', oncall, { reason: 'false alarm' });
    expect(restore.status).toBe(200);
    expect(restore.body).toMatchObject({ killed: false, changed: true });
    const paused = await as(ts, 'pm', 'pm-bob', 'POST', '/api/flags/new-model/pause', { reason: 'deploy in progress' });
    expect(paused.status).toBe(200);
    const rolled = await call(ts, 'POST', '/api/flags/new-model/rollback', oncall, { reason: 'errors at 25%', toStage: 0 });
    expect(rolled.status).toBe(200);
    await again.next((m) => m.type === 'changes' && m.flags.some((f: any) => f.key === 'new-model' && f.stage === 0));
    const bulkKill = await call(ts, 'POST', '/api/kill', oncall, { all: true, reason: 'everything off' });
    expect(bulkKill.status).toBe(200);
    expect(bulkKill.body.killed.sort()).toEqual(['new-model', 'support-draft']);
    await again.next((m) => m.type === 'changes' && m.flags.some((f: any) => f.key === 'new-model' && f.killed));

    const refused = await call(ts, 'POST', '/api/flags', await ts.token('engineer'), { key: 'other', owner: 'x@acme' });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('shutting_down');
    expect((await call(ts, 'GET', '/healthz')).status).toBe(200);

    expect(await held.finish()).toContain('201 Created');
    expect(await drained).toBe(true);
    expect(await again.closed).toMatchObject({ code: 1012 });
    app.close();
  });
});
