import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type WebSocketConstructor } from '@switchyard-flags/sdk';
import { openStorage } from '../server/storage/open.js';
import { bootServer, databaseOf, shareDatabase, type ServerProc } from './helpers/reliability-proc.js';
import { tempDataDir } from './helpers/server.js';

/** `ws`, calling `onOpen(url)` for every socket the client opens. */
function watchingWebSocket(onOpen: (url: string) => void): WebSocketConstructor {
  class Watching extends WebSocket {
    constructor(url: string, protocols?: string[], options?: WebSocket.ClientOptions) {
      super(url, protocols, options);
      this.once('open', () => onOpen(url));
    }
  }
  return Watching as unknown as WebSocketConstructor;
}

/**
 * A request the server holds in flight: headers with `Expect: 100-continue` and half the body.
 * The server's `100 Continue` proves it has taken the request; `finish()` sends the rest and
 * resolves with the raw response.
 */
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
    async finish(): Promise<string> {
      sock.write(text.slice(5));
      return ended;
    },
    ended,
  };
}

const exitOf = (s: ServerProc) =>
  new Promise<number | null>((resolve) => {
    if (s.child.exitCode !== null) resolve(s.child.exitCode);
    else s.child.once('exit', (code) => resolve(code));
  });

const dirs: string[] = [];
let seedDir: string;
let sdkKey: string;

/** A copy of the seeded DATA_DIR (same SDK key, flags and state version; on PostgreSQL the seed's database): a second replica. */
function replicaDir(): string {
  const d = tempDataDir();
  dirs.push(d);
  for (const f of fs.readdirSync(seedDir)) if (f !== 'switchyard.lock') fs.cpSync(path.join(seedDir, f), path.join(d, f), { recursive: true });
  shareDatabase(d, seedDir);
  return d;
}

beforeAll(async () => {
  seedDir = tempDataDir();
  dirs.push(seedDir);
  const seed = await bootServer(seedDir);
  const eng = await seed.token('engineer');
  expect((await seed.api('POST', '/api/flags', eng, { key: 'drain-flag', owner: 'o', on: 'new', off: 'old' })).status).toBe(201);
  sdkKey = (await seed.api('POST', '/api/sdk-keys', await seed.token('admin'), { name: 'fleet' })).body.key;
  await seed.stop('SIGTERM');
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('SIGTERM drains `switchyard serve`', () => {
  it('on SIGTERM /readyz answers 503 at once, new requests get 503 shutting_down, SDKs move to another replica within a second (jittered), the in-flight kill commits, and the process exits 0', async () => {
    const a = await bootServer(replicaDir(), { DRAIN_SECONDS: '60' });
    const b = await bootServer(replicaDir());
    const opened: string[] = [];
    let onB: () => void = () => {};
    const reachedB = new Promise<void>((resolve) => (onB = resolve));
    // A backoff of a minute or more: only the drain's close code makes the client move before the test times out.
    const client = createClient({
      url: [a.url, b.url],
      sdkKey,
      telemetryIntervalMs: 0,
      reconnect: { initialMs: 120_000, maxMs: 120_000 },
      WebSocket: watchingWebSocket((u) => {
        opened.push(u);
        if (u.startsWith(b.url.replace('http', 'ws'))) onB();
      }),
    });
    try {
      expect(await client.ready()).toBe(true);
      expect(opened).toEqual([a.url.replace('http', 'ws') + '/sdk/stream']);
      expect((await fetch(a.url + '/readyz')).status).toBe(200);
      const oncall = await a.token('oncall');
      const held = await heldRequest(a.port, '/api/flags/drain-flag/kill', oncall, { reason: 'in flight while draining' });
      const exited = exitOf(a);

      a.child.kill('SIGTERM');
      await reachedB;
      const ready = await fetch(a.url + '/readyz');
      expect(ready.status).toBe(503);
      const readyBody = (await ready.json()) as any;
      expect(readyBody.error.code).toBe('not_ready');
      expect(readyBody.error.message).toContain('shutting down');
      expect((await fetch(a.url + '/healthz')).status).toBe(200);
      const refused = await fetch(a.url + '/api/flags', { headers: { authorization: `Bearer ${oncall}` } });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('connection')).toBe('close');
      expect(((await refused.json()) as any).error.code).toBe('shutting_down');
      expect(client.status).toBe('ready');

      const response = await held.finish();
      expect(response).toMatch(/HTTP\/1\.1 200 OK/);
      expect(await exited).toBe(0);
      const stored = openStorage({ databaseUrl: await databaseOf(a.dataDir), dbFile: path.join(a.dataDir, 'switchyard.db') });
      try {
        expect(await stored.db.selectFrom('flags').select('killed').where('key', '=', 'drain-flag').executeTakeFirst()).toEqual({ killed: 1 });
      } finally {
        await stored.close();
      }
    } finally {
      client.close();
      await a.stop();
      await b.stop();
    }
  });

  it('a request still in flight after DRAIN_SECONDS does not hold the process: it exits 0 and the request is cut', async () => {
    const a = await bootServer(replicaDir(), { DRAIN_SECONDS: '1' });
    try {
      const held = await heldRequest(a.port, '/api/flags/drain-flag/kill', await a.token('oncall'), { reason: 'never finished' });
      const exited = exitOf(a);
      a.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await held.ended).not.toMatch(/HTTP\/1\.1 200/);
    } finally {
      await a.stop();
    }
  });
});
