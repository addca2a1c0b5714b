import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, type Client, type WebSocketConstructor } from '@switchyard-flags/sdk';
import { figure, size, until } from './helpers/reliability-figures.js';
import { bootServer, type ServerProc } from './helpers/reliability-proc.js';
import { startProxy } from './helpers/push-client.js';
import { tempDataDir } from './helpers/server.js';

const CYCLES = size(20, 100);
const CLIENTS = size(6, 25);

/** `gc()` if it can be had (`--expose-gc`, or switched on at runtime); undefined otherwise. */
function gcFunction(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

/** Per client: how many sockets it holds now, the most it ever held, and any dropped socket the client left a handler on. */
function countingWebSocket(stats: { live: number; max: number; opened: number; leakedHandlers: number }): WebSocketConstructor {
  class Counting extends WebSocket {
    constructor(url: string, protocols?: string[], options?: WebSocket.ClientOptions) {
      super(url, protocols, options);
      stats.opened++;
      stats.live++;
      stats.max = Math.max(stats.max, stats.live);
      this.once('close', () => {
        stats.live--;
        // After the client dropped it, a dead socket keeps no message/open handler of the client's.
        setImmediate(() => {
          if (this.listenerCount('message') + this.listenerCount('open') > 0) stats.leakedHandlers++;
        });
      });
    }
  }
  return Counting as unknown as WebSocketConstructor;
}

const dataDir = tempDataDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('SDK clients through repeated server restarts and dropped connections', () => {
  it(`${CLIENTS} clients survive ${CYCLES} restarts and cuts: no evaluation error, last-known values while away, the latest version after, one socket each, no leak`, async () => {
    let server: ServerProc = await bootServer(dataDir, { HEARTBEAT_MS: '1000' });
    const proxy = await startProxy(server.port);
    const clients: Client[] = [];
    try {
      const eng = await server.token('engineer');
      const oncall = await server.token('oncall');
      for (const k of ['cycled', 'steady-a', 'steady-b']) expect((await server.api('POST', '/api/flags', eng, { key: k, owner: 'o', on: 'new', off: 'old' })).status).toBe(201);
      const sdkKey = (await server.api('POST', '/api/sdk-keys', await server.token('admin'), { name: 'fleet' })).body.key;
      const stats = Array.from({ length: CLIENTS }, () => ({ live: 0, max: 0, opened: 0, leakedHandlers: 0 }));
      for (const s of stats) clients.push(createClient({ url: proxy.url, sdkKey, WebSocket: countingWebSocket(s), reconnect: { initialMs: 20, maxMs: 250 } }));
      expect(await Promise.all(clients.map((c) => c.ready()))).toEqual(clients.map(() => true));

      // Evaluate every flag of every client all along; no evaluation may ever fail.
      let evaluations = 0;
      let errors = 0;
      let mismatches = 0;
      let expected = clients.map((c) => c.value('cycled', { key: 'u' }, 'fallback'));
      let away = false;
      const evalTimer = setInterval(() => {
        clients.forEach((c, i) => {
          for (const k of ['cycled', 'steady-a', 'steady-b']) {
            evaluations++;
            const r = c.evaluate(k, { key: `user-${evaluations % 97}` });
            if (r.reason === 'ERROR' || r.reason === 'FLAG_NOT_FOUND') errors++;
          }
          if (away && c.value('cycled', { key: 'u' }, 'fallback') !== expected[i]) mismatches++;
        });
      }, 5);

      const gc = gcFunction();
      const sample = () => {
        gc?.();
        const res = process.getActiveResourcesInfo();
        return { heapMb: Math.round(process.memoryUsage().heapUsed / 1e5) / 10, timers: res.filter((r) => r === 'Timeout').length, sockets: res.filter((r) => r === 'TCPSocketWrap').length, total: res.length };
      };
      const samples: Array<ReturnType<typeof sample>> = [];
      let restarts = 0;
      let cuts = 0;
      let killed = false;

      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const serverSide = async () => (await server.api('GET', '/api/flags/cycled/propagation', oncall)).body.connected;
        expected = clients.map((c) => c.value('cycled', { key: 'u' }, 'fallback'));
        away = true;
        if (cycle % 4 === 3) {
          // A dropped network path: every connection cut, the server stays up.
          proxy.cut();
          cuts++;
        } else {
          await server.stop(cycle % 2 === 0 ? 'SIGKILL' : 'SIGTERM');
          await until(() => clients.every((c) => c.status === 'stale'), 'every client stale');
          expect(clients.map((c) => c.value('cycled', { key: 'u' }, 'fallback'))).toEqual(expected);
          server = await bootServer(dataDir, { HEARTBEAT_MS: '1000' });
          proxy.target = server.port;
          restarts++;
        }
        away = false;
        // A change while they reconnect: they must end on it.
        killed = !killed;
        const r = await server.api('POST', `/api/flags/cycled/${killed ? 'kill' : 'restore'}`, oncall, { reason: `cycle ${cycle}` });
        expect(r.status).toBe(200);
        const latest = (await (await fetch(`${server.url}/sdk/flags`, { headers: { authorization: `Bearer ${sdkKey}` } })).json()).version;
        await until(() => clients.every((c) => c.status === 'ready' && c.version === latest), `cycle ${cycle}: every client at version ${latest}`);
        for (const c of clients) expect(c.evaluate('cycled', { key: 'u' }).reason === 'KILLED').toBe(killed);
        await until(async () => (await serverSide()) === CLIENTS, `cycle ${cycle}: the server sees ${CLIENTS} connections`);
        expect(stats.every((s) => s.live === 1 && s.max === 1)).toBe(true);
        if (cycle === 2 || cycle === CYCLES - 1) samples.push(sample());
      }
      clearInterval(evalTimer);

      expect(errors).toBe(0);
      expect(mismatches).toBe(0);
      expect(stats.reduce((n, s) => n + s.leakedHandlers, 0)).toBe(0);
      const [first, last] = [samples[0]!, samples[samples.length - 1]!];
      // Flat: a leak per cycle would add at least one per client per cycle.
      expect(last.timers).toBeLessThanOrEqual(first.timers + 2);
      expect(last.sockets).toBeLessThanOrEqual(first.sockets + 4);
      if (gc) expect(last.heapMb - first.heapMb).toBeLessThan(16);
      figure('sdk restarts: cycles survived', { clients: CLIENTS, restarts, cuts, evaluations, evaluationErrors: errors, socketsOpened: stats.reduce((n, s) => n + s.opened, 0), maxSocketsPerClient: Math.max(...stats.map((s) => s.max)) });
      figure('sdk restarts: resources after cycle 3 vs the last (test process: clients, proxy, fetch pool)', { gc: gc !== undefined, first, last });
    } finally {
      for (const c of clients) c.close();
      await proxy.close();
      await server.stop('SIGTERM');
    }
  }, 600_000);
});
