import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { figure, size, summary, until } from './helpers/reliability-figures.js';
import { bootServer, spawnWorker, type ServerProc, type WorkerProc } from './helpers/reliability-proc.js';
import { SDK_FLEET_WORKER } from './helpers/reliability-workers.js';
import { tempDataDir } from './helpers/server.js';

const WORKERS = 3;
const PER_WORKER = size(100, 1000);
const TOTAL = WORKERS * PER_WORKER;

const dataDir = tempDataDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

let asked = 0;
async function report(w: WorkerProc): Promise<any> {
  const id = ++asked;
  w.send({ cmd: 'report', id });
  return w.next((l) => l.t === 'report' && l.id === id);
}

describe('a reconnect storm', () => {
  it(`${TOTAL} SDK clients in ${WORKERS} processes reconnect after a kill -9 with jittered backoff; the server stays responsive and a kill issued during the storm reaches every one`, async () => {
    let server: ServerProc = await bootServer(dataDir, { HEARTBEAT_MS: '5000' });
    const workers: WorkerProc[] = [];
    try {
      const eng = await server.token('engineer');
      for (const k of ['storm-watch', 'storm-b', 'storm-c', 'storm-d']) expect((await server.api('POST', '/api/flags', eng, { key: k, owner: 'o', on: 'v2', off: 'v1' })).status).toBe(201);
      const sdkKey = (await server.api('POST', '/api/sdk-keys', await server.token('admin'), { name: 'storm' })).body.key;
      for (let i = 0; i < WORKERS; i++) workers.push(spawnWorker(SDK_FLEET_WORKER, { URL: server.url, SDK_KEY: sdkKey, CLIENTS: String(PER_WORKER), WATCH: 'storm-watch' }));
      const ready = await Promise.all(workers.map((w) => w.next((l) => l.t === 'ready')));
      expect(ready.map((r) => r.n)).toEqual(workers.map(() => PER_WORKER));

      // Pull the plug, and come back on the same port.
      const port = server.port;
      await server.stop('SIGKILL');
      const dropAt = Date.now();
      server = await bootServer(dataDir, { HEARTBEAT_MS: '5000', PORT: String(port) });
      const upAt = Date.now();
      const oncall = await server.token('oncall');

      // Health probes all through the storm.
      const health: number[] = [];
      let probing = true;
      const probe = (async () => {
        while (probing) {
          const t0 = performance.now();
          const r = await fetch(`${server.url}/healthz`);
          await r.arrayBuffer();
          health.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();

      const connected = async () => (await server.api('GET', '/api/flags/storm-watch/propagation', oncall)).body.connected as number;
      // Kill while the storm is under way: once about a third are back (the rest still in their backoff).
      await until(async () => (await connected()) >= TOTAL / 3, 'a third of the clients back', 60_000);
      const connectedAtKill = await connected();
      const killAt = Date.now();
      const kill = await server.api('POST', '/api/flags/storm-watch/kill', oncall, { reason: 'kill during the storm' });
      const killResponseMs = Date.now() - killAt;
      expect(kill.status).toBe(200);

      let reports: any[] = [];
      await until(async () => {
        reports = await Promise.all(workers.map(report));
        return reports.every((r) => r.sawKill.length === PER_WORKER && r.ready === PER_WORKER);
      }, `every one of ${TOTAL} clients sees the kill`, 120_000);
      await until(async () => (await connected()) === TOTAL, `the server sees ${TOTAL} connections`, 60_000);
      probing = false;
      await probe;

      const latest = kill.body.stateVersion;
      for (const r of reports) {
        expect(r.evalErrors).toBe(0);
        expect(r.perClientMaxSockets).toBe(1);
        expect(r.live).toBe(PER_WORKER);
        expect(r.versions).toEqual([latest]);
        expect(r.reconnects.length).toBe(PER_WORKER);
      }
      const reconnects = reports.flatMap((r) => r.reconnects as number[]).map((t) => t - dropAt);
      const sawKill = reports.flatMap((r) => r.sawKill as number[]).map((t) => t - killAt);
      const buckets = new Map<number, number>();
      for (const t of reconnects) buckets.set(Math.floor(t / 100), (buckets.get(Math.floor(t / 100)) ?? 0) + 1);
      figure('storm: clients', { clients: TOTAL, processes: WORKERS, restartMs: upAt - dropAt, connectedWhenKillIssued: connectedAtKill });
      figure('storm: reconnect spread after the kill -9 (ms from the drop)', { ...summary(reconnects), first: Math.min(...reconnects), busiest100msWindow: Math.max(...buckets.values()) });
      figure('storm: /healthz latency during the storm (ms)', summary(health));
      figure('storm: kill issued during the storm', { responseMs: killResponseMs, reachedEveryClientMs: summary(sawKill) });
    } finally {
      for (const w of workers) w.send({ cmd: 'close' });
      await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 3000))])));
      for (const w of workers) await w.kill();
      await server.stop('SIGTERM');
    }
  }, 600_000);
});
