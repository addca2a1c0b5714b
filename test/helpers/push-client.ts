import net from 'node:net';
import WebSocket from 'ws';
import type { TestServer } from './server.js';

/** Issues an SDK key as admin. */
export async function issueSdkKey(ts: TestServer, name = 'test-app'): Promise<{ key: string; id: string }> {
  const res = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name } });
  if (res.status !== 201) throw new Error(`issue key: ${res.status} ${res.text}`);
  return { key: res.body.key, id: res.body.id };
}

export function wsUrl(base: string, path = '/sdk/stream'): string {
  return base.replace(/^http/, 'ws') + path;
}

/** A raw protocol client over `ws` that records every message and waits for the ones you name. */
export interface RawPeer {
  ws: WebSocket;
  messages: any[];
  /** Resolves with the earliest message not yet taken by `next` that matches `pred` (already received or still to come). */
  next(pred?: (m: any) => boolean): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
  send(msg: unknown): void;
}

export function rawPeer(url: string, opts: { headers?: Record<string, string>; protocols?: string[]; origin?: string } = {}): RawPeer {
  const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers, origin: opts.origin });
  const messages: any[] = [];
  const taken: boolean[] = [];
  const waiting: Array<{ pred: (m: any) => boolean; resolve: (m: any) => void; reject: (e: Error) => void }> = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      for (const w of waiting.splice(0)) w.reject(new Error(`closed ${code} before the awaited message`));
      resolve({ code, reason: String(reason) });
    });
  });
  ws.on('error', () => {});
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    messages.push(m);
    const i = waiting.findIndex((w) => w.pred(m));
    taken.push(i >= 0);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(m);
  });
  return {
    ws,
    messages,
    closed,
    send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
    next(pred = () => true) {
      const found = messages.findIndex((m, i) => !taken[i] && pred(m));
      if (found >= 0) {
        taken[found] = true;
        return Promise.resolve(messages[found]);
      }
      return new Promise((resolve, reject) => waiting.push({ pred, resolve, reject }));
    },
  };
}

/** An SDK peer authenticated by header that has said hello. */
export function sdkPeer(ts: { url: string }, key: string, version = 0): RawPeer {
  const p = rawPeer(wsUrl(ts.url), { headers: { authorization: `Bearer ${key}` } });
  p.ws.on('open', () => p.send({ type: 'hello', protocol: 1, version, sdk: 'test/1' }));
  return p;
}

/** Resolves with the HTTP status of a refused upgrade (or 101 if it was accepted). */
export function upgradeStatus(url: string, opts: { headers?: Record<string, string>; protocols?: string[]; origin?: string } = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers, origin: opts.origin });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('error', () => resolve(0));
  });
}

/**
 * A TCP proxy in front of a server: follows it across restarts (`target`), and can cut or
 * blackhole every connection to simulate an outage or a dead network path.
 */
export interface Proxy {
  url: string;
  target: number;
  /** Stop forwarding bytes and closes (connections stay open): a silent network. */
  blackhole: boolean;
  /** Destroy every proxied connection. */
  cut(): void;
  connections(): number;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const proxy: Proxy = {
    url: '',
    target: targetPort,
    blackhole: false,
    cut() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    connections: () => pairs.size,
    close: () => {
      proxy.cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(proxy.target, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      // A blackholed path tells neither side anything: not even that the other end closed.
      if (proxy.blackhole && !client.destroyed) return;
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('data', (d) => {
        if (!proxy.blackhole) to.write(d);
      });
      from.on('error', end);
      from.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  proxy.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return proxy;
}
