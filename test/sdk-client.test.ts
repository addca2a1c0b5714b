import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client, type ClientStatus, type SnapshotCache, type WebSocketConstructor } from '@switchyard-flags/sdk';
import { fileCache } from '@switchyard-flags/sdk/node';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, startProxy } from './helpers/push-client.js';

/** `ws`, recording every socket the client creates and every message it receives. */
function recordingWebSocket() {
  const sockets: WebSocket[] = [];
  const received: any[] = [];
  let live = 0;
  let maxLive = 0;
  class Recording extends WebSocket {
    constructor(url: string, protocols?: string[], options?: WebSocket.ClientOptions) {
      super(url, protocols, options);
      sockets.push(this);
      live++;
      maxLive = Math.max(maxLive, live);
      this.on('close', () => live--);
      this.on('message', (d) => received.push(JSON.parse(String(d))));
    }
  }
  return {
    WebSocket: Recording as unknown as WebSocketConstructor,
    sockets,
    received,
    live: () => live,
    maxLive: () => maxLive,
  };
}

function statusOf(client: Client, wanted: ClientStatus): Promise<void> {
  if (client.status === wanted) return Promise.resolve();
  return new Promise((resolve) => {
    const off = client.on('status', (s) => {
      if (s === wanted) {
        off();
        resolve();
      }
    });
  });
}

const fast = { initialMs: 5, maxMs: 20 };

describe('the SDK client against a real server', () => {
  let ts: TestServer;
  let key: string;

  beforeAll(async () => {
    ts = await startTestServer({ config: { heartbeatMs: 100 } });
    key = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'support-draft', { on: 'v2', off: 'v1' });
    await createFlag(ts, 'dark-mode', { on: true, off: true });
    await createFlag(ts, 'model-config', { on: { model: 'b' }, off: { model: 'a' } });
  });
  afterAll(() => ts.close());

  it('serves values locally after ready, with the caller fallback for unknown flags and other types', async () => {
    const client = createClient({ url: ts.url, sdkKey: key }); // Node 20: `ws` is loaded lazily
    try {
      expect(await client.ready()).toBe(true);
      expect(client.status).toBe('ready');
      expect(client.isEnabled('dark-mode', { key: 'u1' })).toBe(true);
      expect(client.isEnabled('missing', { key: 'u1' })).toBe(false);
      expect(client.value('support-draft', { key: 'u1' }, 'fallback')).toBe('v1');
      expect(client.value('support-draft', { key: 'u1' }, false)).toBe(false);
      expect(client.value('model-config', {}, { model: 'none' })).toEqual({ model: 'a' });
      expect(client.value('missing', {}, 'fallback')).toBe('fallback');
      expect(client.evaluate('support-draft', { key: 'u1' })).toMatchObject({ value: 'v1', reason: 'NOT_STARTED' });
      expect(client.evaluate('missing')).toMatchObject({ value: null, reason: 'FLAG_NOT_FOUND' });
    } finally {
      client.close();
    }
  });

  it('fires change only for flags whose definition changed', async () => {
    const client = createClient({ url: ts.url, sdkKey: key });
    try {
      await client.ready();
      const seen: string[] = [];
      client.on('change', ({ key: k }) => seen.push(k));
      const killed = new Promise<void>((resolve) => client.on('change', ({ key: k }) => k === 'dark-mode' && resolve()));
      await ts.api('POST', '/api/flags/dark-mode/kill', { as: 'oncall', body: { reason: 'test' } });
      await killed;
      const restored = new Promise<void>((resolve) => client.on('change', () => seen.length === 2 && resolve()));
      await ts.api('POST', '/api/flags/dark-mode/restore', { as: 'oncall', body: { reason: 'test' } });
      await restored;
      expect(seen).toEqual(['dark-mode', 'dark-mode']);
    } finally {
      client.close();
    }
  });

  it('survives a server restart: last-known values while stale, then only the changes since, then the latest state', async () => {
    const own = await startTestServer({ config: { heartbeatMs: 100 } });
    const proxy = await startProxy(own.running.port);
    const rec = recordingWebSocket();
    const ownKey = (await issueSdkKey(own)).key;
    await createFlag(own, 'support-draft', { on: 'v2', off: 'v1' });
    await createFlag(own, 'other');
    const client = createClient({ url: proxy.url, sdkKey: ownKey, WebSocket: rec.WebSocket, reconnect: fast });
    let restarted: TestServer | undefined;
    try {
      await client.ready();
      const held = client.version;
      const stale = statusOf(client, 'stale');
      await own.stop();
      await stale;
      expect(client.value('support-draft', { key: 'u1' }, 'fallback')).toBe('v1');

      restarted = await own.restart();
      await restarted.api('POST', '/api/flags/support-draft/kill', { as: 'oncall', body: { reason: 'while you were away' } });
      const before = rec.received.length;
      proxy.target = restarted.running.port;
      await statusOf(client, 'ready');
      expect(client.evaluate('support-draft', { key: 'u1' })).toMatchObject({ value: 'v1', reason: 'KILLED' });
      const first = rec.received.slice(before).find((m) => m.type !== 'heartbeat');
      expect(first).toMatchObject({ type: 'changes', since: held, removed: [] });
      expect(first.flags.map((f: any) => f.key)).toEqual(['support-draft']);
      expect(rec.maxLive()).toBe(1);
    } finally {
      client.close();
      await proxy.close();
      await (restarted ?? own).close();
    }
  });

  it('detects a missed heartbeat and replaces the connection', async () => {
    const proxy = await startProxy(ts.running.port);
    const rec = recordingWebSocket();
    const client = createClient({ url: proxy.url, sdkKey: key, WebSocket: rec.WebSocket, reconnect: fast });
    try {
      await client.ready();
      proxy.blackhole = true; // the network goes silent; no socket closes
      await statusOf(client, 'stale');
      proxy.blackhole = false;
      await statusOf(client, 'ready');
      expect(rec.sockets.length).toBe(2);
      expect(rec.maxLive()).toBe(1);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it('loads a persisted snapshot and serves it before it ever connects', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cache-')), 'flags.json');
    const disk = fileCache(file);
    let saved!: () => void;
    const wasSaved = new Promise<void>((resolve) => (saved = resolve));
    const cache: SnapshotCache = { load: disk.load, save: async (s) => (await disk.save(s), saved()) };
    const first = createClient({ url: ts.url, sdkKey: key, cache });
    await first.ready();
    await wasSaved;
    first.close();

    const proxy = await startProxy(ts.running.port);
    proxy.blackhole = true; // the server is unreachable for the restarted app
    const second = createClient({ url: proxy.url, sdkKey: key, cache: fileCache(file), reconnect: fast });
    try {
      expect(second.status).toBe('initializing');
      expect(second.value('support-draft', { key: 'u1' }, 'fallback')).toBe('v1');
      expect(second.value('model-config', {}, {})).toEqual({ model: 'a' });
      expect(await second.ready({ timeoutMs: 50 })).toBe(false);
    } finally {
      second.close();
      await proxy.close();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it('serves the caller fallback when it never had state', async () => {
    const proxy = await startProxy(ts.running.port);
    proxy.blackhole = true;
    const client = createClient({ url: proxy.url, sdkKey: key, reconnect: fast });
    try {
      expect(await client.ready({ timeoutMs: 20 })).toBe(false);
      expect(client.status).toBe('initializing');
      expect(client.value('support-draft', { key: 'u1' }, 'fallback')).toBe('fallback');
      expect(client.isEnabled('dark-mode', { key: 'u1' })).toBe(false);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it('reports error status for a key the server refuses', async () => {
    const client = createClient({ url: ts.url, sdkKey: 'sy_sdk_not-a-key', reconnect: fast });
    try {
      await statusOf(client, 'error');
      expect(await client.ready({ timeoutMs: 10 })).toBe(false);
    } finally {
      client.close();
    }
  });

  it('keeps at most one live socket through 100 connection kills, and close() leaves no timer, listener or socket', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const baseline = timers();
    const rec = recordingWebSocket();
    const client = createClient({ url: ts.url, sdkKey: key, WebSocket: rec.WebSocket, reconnect: fast });
    let maxServerSide = 0;
    for (let i = 0; i < 100; i++) {
      await statusOf(client, 'ready');
      maxServerSide = Math.max(maxServerSide, ts.running.push.sdk.size);
      const stale = statusOf(client, 'stale');
      for (const ws of ts.running.push.sdk.sockets()) ws.terminate();
      await stale;
    }
    await statusOf(client, 'ready');
    expect(rec.sockets.length).toBe(101);
    expect(rec.maxLive()).toBe(1);
    expect(maxServerSide).toBe(1);
    // Dropped sockets keep only the recorder's own listeners: the client detached its handlers.
    const dropped = rec.sockets.slice(0, 100);
    expect(dropped.every((s) => s.readyState === WebSocket.CLOSED)).toBe(true);
    expect(dropped.every((s) => s.listenerCount('open') === 0 && s.listenerCount('message') === 1)).toBe(true);

    client.close();
    await new Promise<void>((resolve) => (rec.live() === 0 ? resolve() : rec.sockets[100]!.once('close', () => resolve())));
    expect(rec.live()).toBe(0);
    expect(timers()).toBeLessThanOrEqual(baseline);
    expect(client.value('support-draft', { key: 'u1' }, 'fallback')).toBe('v1');
  });
});

describe('the SDK client and a snapshot over its size limit (a real server)', () => {
  let ts: TestServer;
  let key: string;

  beforeAll(async () => {
    ts = await startTestServer();
    key = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'long-prompt', { on: 'on-'.repeat(4000), off: 'off-value' });
  });
  afterAll(() => ts.close());

  it('refuses a snapshot longer than maxMessageBytes: keeps serving its last-known values, warns "too large" and retries with the backoff', async () => {
    const full = createClient({ url: ts.url, sdkKey: key, telemetryIntervalMs: 0 });
    let held;
    try {
      expect(await full.ready()).toBe(true);
      held = full.snapshot();
      expect(JSON.stringify(held).length).toBeGreaterThan(12_000);
    } finally {
      full.close();
    }
    // The flag changes on the server after the snapshot the app last held.
    expect((await ts.api('POST', '/api/flags/long-prompt/kill', { as: 'oncall', body: { reason: 'size test' } })).status).toBe(200);
    const warnings: string[] = [];
    const client = createClient({
      url: ts.url,
      sdkKey: key,
      bootstrap: held,
      maxMessageBytes: 10_000,
      reconnect: fast,
      telemetryIntervalMs: 0,
      logger: { warn: (m: string) => void warnings.push(m) },
    });
    try {
      while (warnings.filter((w) => w === 'switchyard: too large').length < 2) await new Promise((r) => setTimeout(r, 10));
      expect(client.status).not.toBe('ready');
      expect(client.version).toBe(held!.version);
      expect(client.snapshot()).toEqual(held);
      expect(client.evaluate('long-prompt', { key: 'u1' }).reason).not.toBe('KILLED');
      expect(client.value('long-prompt', { key: 'u1' }, 'fallback')).toBe('off-value');
    } finally {
      client.close();
    }
  });
});
