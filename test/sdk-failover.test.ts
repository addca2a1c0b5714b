import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client, type WebSocketConstructor } from '@switchyard-flags/sdk';
import { issueSdkKey } from './helpers/push-client.js';
import { createFlag, startTestServer, tempDataDir, type TestServer } from './helpers/server.js';

/** `ws`, recording the URL of every socket the client opens. */
function recordingWebSocket(urls: string[]): WebSocketConstructor {
  class Recording extends WebSocket {
    constructor(url: string, protocols?: string[], options?: WebSocket.ClientOptions) {
      super(url, protocols, options);
      urls.push(url);
    }
  }
  return Recording as unknown as WebSocketConstructor;
}

/** Resolves once `pred` holds, checked on each change event of `client`. */
function untilChange(client: Client, pred: () => boolean): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve) => {
    const off = client.on('change', () => {
      if (pred()) {
        off();
        resolve();
      }
    });
  });
}

/**
 * Two replicas of one state: server A is set up (a flag, an SDK key), stopped, and its DATA_DIR
 * copied for B, so both hold the same key, flags and state version, as replicas on one
 * database would. (Replicas on PostgreSQL share the database itself: test/deploy-lb.test.ts.)
 */
describe('SDK failover between replicas', () => {
  let a: TestServer;
  let b: TestServer;
  let key: string;

  beforeAll(async () => {
    const seed = await startTestServer();
    key = (await issueSdkKey(seed)).key;
    await createFlag(seed, 'checkout-v2', { on: 'new', off: 'old' });
    await seed.stop();
    const copy = tempDataDir();
    for (const f of fs.readdirSync(seed.dataDir)) if (f !== 'switchyard.lock') fs.cpSync(path.join(seed.dataDir, f), path.join(copy, f), { recursive: true });
    // On PostgreSQL the two replicas share the seed's database, as replicas do; on SQLite each has a copy.
    a = await startTestServer({ dataDir: seed.dataDir, config: { heartbeatMs: 200, databaseUrl: seed.databaseUrl } });
    b = await startTestServer({ dataDir: copy, config: { heartbeatMs: 200, databaseUrl: seed.databaseUrl } });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('a client given two replica URLs connects to the first, and when that replica stops it reconnects to the other and gets a kill made there', async () => {
    const urls: string[] = [];
    const client = createClient({ url: [a.url, b.url], sdkKey: key, WebSocket: recordingWebSocket(urls), reconnect: { initialMs: 20, maxMs: 100 }, telemetryIntervalMs: 0 });
    try {
      expect(await client.ready()).toBe(true);
      expect(client.evaluate('checkout-v2').reason).toBe('NOT_STARTED');
      expect(urls).toEqual([a.url.replace('http', 'ws') + '/sdk/stream']);
      const held = client.version;

      await a.stop();
      const kill = await b.api('POST', '/api/flags/checkout-v2/kill', { as: 'oncall', body: { reason: 'replica failover test' } });
      expect(kill.status).toBe(200);
      await untilChange(client, () => client.evaluate('checkout-v2').reason === 'KILLED');

      expect(client.status).toBe('ready');
      expect(client.version).toBeGreaterThan(held);
      expect(urls.at(-1)).toBe(b.url.replace('http', 'ws') + '/sdk/stream');
      // B counts the client's acknowledgement of the kill: it resumed there as a live SDK.
      const prop = await b.api('GET', '/api/flags/checkout-v2/propagation', { as: 'viewer' });
      expect(prop.status).toBe(200);
      expect(prop.body.connected).toBe(1);
    } finally {
      client.close();
    }
  });
});
