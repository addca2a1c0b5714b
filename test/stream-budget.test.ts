import http from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../server/config.js';
import { ConfigError } from '../server/errors.js';
import { issueSdkKey, rawPeer, sdkPeer, wsUrl, type RawPeer } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

/** One request over a brand-new TCP connection (no pooled socket), as on-call's curl would make it. */
function fresh(ts: TestServer, method: string, p: string, token?: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? '' : JSON.stringify(body);
    const req = http.request(`${ts.url}${p}`, {
      method,
      agent: false,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * Opens `n` OFREP event streams on `path`, at most `batch` at a time, each over its own raw TCP
 * connection, and waits until each has its first event or was closed by the server. The client
 * side closes whenever the server does (an evicted stream holds no descriptor here).
 */
async function holdEventStreams(ts: TestServer, path: string, n: number, batch = 250): Promise<net.Socket[]> {
  const { hostname, port } = new URL(ts.url);
  const held: net.Socket[] = [];
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, () =>
        new Promise<void>((resolve) => {
          const s = net.connect(Number(port), hostname);
          s.on('error', () => resolve());
          s.once('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
          s.on('data', (d) => {
            if (String(d).includes('refetchEvaluation')) resolve();
          });
          s.once('end', () => s.destroy());
          s.once('close', () => resolve());
          held.push(s);
        }),
      ),
    );
  }
  return held;
}

/** Opens `n` admin streams with one token, at most `batch` at a time; each resolves at its hello or its close. */
async function holdAdminStreams(ts: TestServer, token: string, n: number, batch = 100): Promise<WebSocket[]> {
  const held: WebSocket[] = [];
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, () =>
        new Promise<void>((resolve) => {
          const ws = new WebSocket(wsUrl(ts.url, '/api/stream'), ['switchyard.admin.v1', `bearer.${token}`]);
          ws.on('error', () => resolve());
          ws.once('message', () => resolve());
          ws.once('close', () => resolve());
          held.push(ws);
        }),
      ),
    );
  }
  return held;
}

/** The sum of a metric's samples whose labels include `label`. */
const metric = (text: string, name: string, label: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(label))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

describe('requests can never be starved by streams (default caps: MAX_CONNECTIONS 10,000)', () => {
  let ts: TestServer;
  let sockets: net.Socket[] = [];
  let admins: WebSocket[] = [];
  let sdk: RawPeer | undefined;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    for (const ws of admins) ws.terminate();
    sdk?.ws.close();
    await ts.close();
  });

  it('10,000 event streams held with one client key and 10,000 admin streams with one viewer token: a kill from a fresh connection lands, an SDK receives it, /healthz answers, and /metrics counts the caps reached', async () => {
    const config = ts.running.config;
    expect(config.maxStreams).toBeLessThan(config.maxConnections);
    await createFlag(ts, 'support-draft', { on: true, off: false });
    const client = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'web', kind: 'client' } });
    const bulk = await ts.api('POST', '/ofrep/v1/evaluate/flags', { body: { context: { targetingKey: 'u' } }, headers: { 'x-api-key': client.body.key } });
    const events = new URL(bulk.body.eventStreams[0].url);

    sockets = await holdEventStreams(ts, events.pathname + events.search, 10_000);
    // The key holds its share and no more; every later stream took the place of its oldest.
    expect(ts.running.services.ofrep.events.size).toBeLessThanOrEqual(config.maxConnectionsPerKey);
    expect(ts.running.services.ofrep.events.size).toBeGreaterThan(0);

    const viewer = await ts.token('viewer', 'mallory');
    admins = await holdAdminStreams(ts, viewer, 10_000);
    expect(ts.running.push.admin.size).toBeLessThanOrEqual(config.maxAdminStreamsPerUser);

    // A server SDK connects from the same address as the flood, and on-call kills from a fresh connection.
    const { key } = await issueSdkKey(ts, 'checkout-service');
    sdk = sdkPeer(ts, key);
    await sdk.next((m) => m.type === 'snapshot');
    const oncall = await ts.token('oncall', 'night-shift');
    const kill = await fresh(ts, 'POST', '/api/flags/support-draft/kill', oncall, { reason: 'stream flood drill' });
    expect(kill.status).toBe(200);
    const change = await sdk.next((m) => m.type === 'changes' && m.flags.some((f: { key: string }) => f.key === 'support-draft'));
    expect(change.flags.find((f: { key: string }) => f.key === 'support-draft')).toMatchObject({ killed: true });
    expect((await fresh(ts, 'GET', '/healthz')).status).toBe(200);

    const scrape = await fresh(ts, 'GET', '/metrics', await ts.token('viewer', 'prometheus'));
    expect(scrape.status).toBe(200);
    // Which cap made room is labelled (here the key's share, then the address's, which the admin flood shares).
    expect(metric(scrape.text, 'switchyard_stream_evictions_total', 'cap="key",kind="ofrep"')).toBeGreaterThan(0);
    expect(metric(scrape.text, 'switchyard_stream_evictions_total', 'kind="admin"')).toBeGreaterThan(9_000);
    expect(metric(scrape.text, 'switchyard_streams', 'kind="sdk"')).toBe(1);
  }, 600_000);
});

describe('the stream budget: shares per key, per address and per user, below MAX_CONNECTIONS', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ config: { maxConnections: 40, maxStreams: 8, maxConnectionsPerKey: 7, maxStreamsPerAddress: 4, maxAdminStreamsPerUser: 2 } });
    await createFlag(ts, 'support-draft');
  });
  afterAll(() => ts.close());

  it('a user past MAX_ADMIN_STREAMS_PER_USER loses their oldest admin stream (4429 evicted); another user keeps theirs', async () => {
    const open = (token: string) => rawPeer(wsUrl(ts.url, '/api/stream'), { protocols: ['switchyard.admin.v1', `bearer.${token}`] });
    const mallory = await ts.token('viewer', 'mallory');
    const alice = open(await ts.token('viewer', 'alice'));
    await alice.next((m) => m.type === 'hello');
    const first = open(mallory);
    await first.next((m) => m.type === 'hello');
    const second = open(mallory);
    await second.next((m) => m.type === 'hello');
    const third = open(mallory);
    await third.next((m) => m.type === 'hello');
    expect(await first.closed).toEqual({ code: 4429, reason: 'evicted' });
    expect(second.ws.readyState).toBe(WebSocket.OPEN);
    expect(alice.ws.readyState).toBe(WebSocket.OPEN);
    const scrape = await ts.api('GET', '/metrics', { as: 'viewer' });
    expect(metric(scrape.text, 'switchyard_stream_evictions_total', 'cap="user",kind="admin"')).toBe(1);
    for (const p of [alice, second, third]) p.ws.close();
    await Promise.all([alice, second, third].map((p) => p.closed));
  });

  it('at MAX_STREAMS_PER_ADDRESS a flood of one key churns its own streams, and the other key from that address keeps its stream', async () => {
    const flood = (await issueSdkKey(ts, 'flood')).key;
    const app = (await issueSdkKey(ts, 'app')).key;
    const kept = sdkPeer(ts, app);
    await kept.next((m) => m.type === 'snapshot');
    const peers: RawPeer[] = [];
    for (let i = 0; i < 12; i++) {
      const p = sdkPeer(ts, flood);
      await p.next((m) => m.type === 'snapshot');
      peers.push(p);
    }
    expect(kept.ws.readyState).toBe(WebSocket.OPEN);
    await expect.poll(() => ts.running.push.sdk.size).toBe(4);
    const evicted = await Promise.all(peers.slice(0, 9).map((p) => p.closed));
    expect(evicted.every((c) => c.code === 4429)).toBe(true);
    for (const p of [kept, ...peers]) p.ws.close();
    await Promise.all([kept, ...peers].map((p) => p.closed));
  });

  it('refuses a MAX_STREAMS at or above MAX_CONNECTIONS with a clear message', () => {
    expect(() => configFromEnv({ MAX_CONNECTIONS: '100', MAX_STREAMS: '100' })).toThrow(ConfigError);
    expect(() => configFromEnv({ MAX_CONNECTIONS: '100', MAX_STREAMS: '100' })).toThrow(/MAX_STREAMS \(100\) must be below MAX_CONNECTIONS \(100\)/);
    const dflt = configFromEnv({});
    expect(dflt.maxStreams).toBe(9000);
    expect(dflt.maxConnectionsPerKey).toBe(4500);
    expect(dflt.maxStreamsPerAddress).toBe(4500);
  });
});
