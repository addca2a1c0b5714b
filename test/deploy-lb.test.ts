import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client, type WebSocketConstructor } from '@switchyard-flags/sdk';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { bootServer, type ServerProc } from './helpers/reliability-proc.js';
import { tempDataDir } from './helpers/server.js';
import { freePort } from './helpers/free-port.js';

/**
 * The shipped deploy/haproxy.cfg and deploy/nginx.conf, each run by the real load balancer in
 * front of three `switchyard serve` processes on one PostgreSQL, each replica with its own
 * DATA_DIR and the one SECRET_FILE. In CI a missing haproxy or nginx fails this file (.ci/run
 * installs them); locally that half is skipped.
 */
const find = (bin: string) => [`/usr/sbin/${bin}`, `/usr/bin/${bin}`, `/usr/local/sbin/${bin}`].find((f) => fs.existsSync(f));
const HAPROXY = find('haproxy');
const NGINX = find('nginx');
const CLIENTS = 6;

interface Balancer {
  url: string;
  stop(): void;
}

/** deploy/haproxy.cfg as shipped: the addresses come from the environment. */
async function startHaproxy(ports: number[]): Promise<Balancer> {
  const cfg = path.resolve('deploy/haproxy.cfg');
  const env = {
    ...process.env,
    SWITCHYARD_LISTEN: `127.0.0.1:${await freePort()}`,
    SWITCHYARD_A: `127.0.0.1:${ports[0]}`,
    SWITCHYARD_B: `127.0.0.1:${ports[1]}`,
    SWITCHYARD_C: `127.0.0.1:${ports[2]}`,
  };
  const check = spawnSync(HAPROXY!, ['-c', '-f', cfg], { env, encoding: 'utf8' });
  expect(check.status, check.stdout + check.stderr).toBe(0);
  return watch(spawn(HAPROXY!, ['-db', '-f', cfg], { env, stdio: ['ignore', 'pipe', 'pipe'] }), `http://${env.SWITCHYARD_LISTEN}`);
}

/** deploy/nginx.conf as shipped, with its three example addresses and its port replaced. */
async function startNginx(ports: number[], dir: string): Promise<Balancer> {
  const port = await freePort();
  let text = fs.readFileSync(path.resolve('deploy/nginx.conf'), 'utf8');
  ['10.0.0.11:8080', '10.0.0.12:8080', '10.0.0.13:8080'].forEach((addr, i) => {
    expect(text).toContain(addr);
    text = text.replace(addr, `127.0.0.1:${ports[i]}`);
  });
  expect(text).toContain('listen 80;');
  text = text.replace('listen 80;', `listen 127.0.0.1:${port};`);
  const cfg = path.join(dir, 'nginx.conf');
  fs.writeFileSync(cfg, text);
  const args = ['-p', dir, '-c', cfg, '-g', `daemon off; pid ${path.join(dir, 'nginx.pid')}; error_log stderr;`];
  const check = spawnSync(NGINX!, ['-t', ...args], { encoding: 'utf8' });
  expect(check.status, check.stdout + check.stderr).toBe(0);
  return watch(spawn(NGINX!, args, { stdio: ['ignore', 'pipe', 'pipe'] }), `http://127.0.0.1:${port}`);
}

async function watch(child: ChildProcess, url: string): Promise<Balancer> {
  let said = '';
  for (const s of [child.stdout!, child.stderr!]) s.on('data', (d) => (said = (said + d).slice(-4000)));
  await until('the load balancer to answer /readyz', async () => (await fetch(url + '/readyz').catch(() => undefined))?.status === 200).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}; it said: ${said}`);
  });
  return { url, stop: () => child.kill('SIGKILL') };
}


async function until(what: string, pred: () => Promise<boolean> | boolean, tries = 200, everyMs = 50): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The SDK sockets a replica holds, from its own /metrics. */
async function sdkSockets(s: ServerProc): Promise<number> {
  const res = await fetch(s.url + '/metrics', { headers: { authorization: `Bearer ${await s.token('viewer')}` } });
  const m = /^switchyard_sdk_connections (\d+)$/m.exec(await res.text());
  return m ? Number(m[1]) : NaN;
}

const reasonOf = (c: Client) => c.evaluate('checkout-v2', { key: 'u1' }).reason;

for (const [name, bin] of [['haproxy', HAPROXY], ['nginx', NGINX]] as const) {
  describe.runIf(!bin && process.env.CI === 'true')(`deploy config for ${name} in CI`, () => {
    it(`needs ${name}: apt-get install -y ${name} (.ci/run installs it)`, () => {
      expect.fail(`${name} is not installed; in CI this test must run, never skip`);
    });
  });
}

for (const [name, bin, startBalancer] of [
  ['HAProxy with deploy/haproxy.cfg', HAPROXY, startHaproxy],
  ['nginx with deploy/nginx.conf', NGINX, startNginx],
] as const) {
describe.skipIf(!bin)(`three replicas on PostgreSQL behind ${name}`, () => {
  let pg: TestPostgres;
  const replicas: ServerProc[] = [];
  const dirs: string[] = [];
  let balancer: Balancer;
  let lb: string;
  let sdkKey: string;

  beforeAll(async () => {
    pg = await startPostgres();
    const databaseUrl = await pg.createDatabase();
    const shared = tempDataDir();
    dirs.push(shared);
    const secretFile = path.join(shared, 'secret');
    fs.writeFileSync(secretFile, crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
    for (const r of ['a', 'b', 'c']) {
      const dataDir = tempDataDir();
      dirs.push(dataDir);
      replicas.push(await bootServer(dataDir, { DATABASE_URL: databaseUrl, SECRET_FILE: secretFile, REPLICA_NAME: r, HEARTBEAT_MS: '1000', REPLICA_HEARTBEAT_MS: '500', DRAIN_SECONDS: '2' }));
    }
    for (const r of replicas) expect((await fetch(r.url + '/readyz')).status, r.url).toBe(200);
    balancer = await startBalancer(replicas.map((r) => r.port), shared);
    lb = balancer.url;

    const a = replicas[0]!;
    expect((await a.api('POST', '/api/flags', await a.token('engineer'), { key: 'checkout-v2', owner: 'o', on: 'new', off: 'old' })).status).toBe(201);
    sdkKey = (await a.api('POST', '/api/sdk-keys', await a.token('admin'), { name: 'fleet' })).body.key;
  }, 90_000);

  afterAll(async () => {
    balancer?.stop();
    for (const r of replicas) await r.stop();
    await pg?.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  it('SDKs connect through it, spread over the replicas; a kill through it reaches and is acknowledged by all; when a replica is killed, and another drained by SIGTERM, their SDKs fail over and get the next change', async () => {
    const clients: Client[] = [];
    try {
      for (let i = 0; i < CLIENTS; i++) {
        clients.push(createClient({ url: lb, sdkKey, WebSocket: WebSocket as unknown as WebSocketConstructor, telemetryIntervalMs: 0, reconnect: { initialMs: 100, maxMs: 500 } }));
      }
      expect(await Promise.all(clients.map((c) => c.ready({ timeoutMs: 10_000 })))).toEqual(Array(CLIENTS).fill(true));
      const perReplica = await Promise.all(replicas.map(sdkSockets));
      expect(perReplica.reduce((x, y) => x + y, 0)).toBe(CLIENTS);
      expect(perReplica.filter((n) => n > 0).length).toBeGreaterThan(1); // leastconn spread them

      // The same token works on every replica (SECRET_FILE), so whichever one the balancer picks takes the kill.
      const oncall = await replicas[0]!.token('oncall');
      const kill = await fetch(lb + '/api/flags/checkout-v2/kill', {
        method: 'POST',
        headers: { authorization: `Bearer ${oncall}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'through the load balancer', waitMs: 5000 }),
      });
      expect(kill.status).toBe(200);
      const killed = (await kill.json()) as any;
      expect(killed.propagation).toMatchObject({ connected: CLIENTS, applied: CLIENTS, pending: 0 });
      await until('every client to serve the kill', () => clients.every((c) => reasonOf(c) === 'KILLED'));

      // kill -9 the replica holding the most SDKs: they reconnect through the balancer to the others.
      const victim = perReplica.indexOf(Math.max(...perReplica));
      await replicas[victim]!.stop('SIGKILL');
      const rest = replicas.filter((_, i) => i !== victim);
      await until('the SDKs to reconnect to the surviving replicas', async () => (await Promise.all(rest.map(sdkSockets))).reduce((x, y) => x + y, 0) === CLIENTS, 300, 100);
      await until('the balancer to route around the dead replica', async () => (await fetch(lb + '/readyz')).status === 200);

      const restore = await fetch(lb + '/api/flags/checkout-v2/restore', {
        method: 'POST',
        headers: { authorization: `Bearer ${oncall}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'fixed', waitMs: 5000 }),
      });
      expect(restore.status).toBe(200);
      expect(((await restore.json()) as any).propagation).toMatchObject({ applied: CLIENTS, pending: 0 });
      await until('every client to serve the restore', () => clients.every((c) => reasonOf(c) === 'NOT_STARTED'));
      expect(clients.every((c) => c.status === 'ready')).toBe(true);

      // SIGTERM a second one (a rolling deploy): it drains, its SDKs move to the last replica, and a kill through the balancer reaches all.
      const [draining, last] = rest as [ServerProc, ServerProc];
      const exited = new Promise<number | null>((resolve) => draining.child.once('exit', (code) => resolve(code)));
      draining.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await until('every SDK on the last replica', async () => (await sdkSockets(last)) === CLIENTS, 300, 100);
      const again = await fetch(lb + '/api/flags/checkout-v2/kill', {
        method: 'POST',
        headers: { authorization: `Bearer ${oncall}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'after the rolling restart', waitMs: 5000 }),
      });
      expect(again.status).toBe(200);
      expect(((await again.json()) as any).propagation).toMatchObject({ applied: CLIENTS, pending: 0 });
      await until('every client to serve the second kill', () => clients.every((c) => reasonOf(c) === 'KILLED'));
    } finally {
      for (const c of clients) c.close();
    }
  }, 90_000);
});
}
