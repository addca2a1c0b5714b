// bench/propagation — N real SDK clients (in child processes, at most 4,000 per process)
// connected to a running server on 127.0.0.1; kills issued over HTTP. Per kill: the time from
// the HTTP request until every client applied it (client-side change event) and until the
// server counted every acknowledgement (the kill's `waitMs` response); beside it, in the same
// run and through the same client processes, a bare `ws` broadcast of the same bytes.
// Times across processes: performance.timeOrigin + performance.now() (one monotonic clock).
//
//   node bench/propagation.mjs [N ...=1000 5000] [--kills=20] [--prof-dir=DIR]
// --prof-dir: CPU profiles of the client processes into DIR (run the bench itself under
// `node --cpu-prof --cpu-prof-dir=DIR` for the server's).
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { args, fmt, nowMs, percentile, table } from './lib/table.mjs';
import { startBenchServer } from './lib/server.mjs';
import { bundleTs, SDK_ENTRY } from './lib/ts.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const opt = args();
const SIZES = (opt._.length ? opt._ : ['1000', '5000']).map(Number);
const KILLS = Number(opt.kills ?? 20);
const WARMUP = 2;
const PER_PROCESS = 4000;
const deadline = Date.now() + Number(opt['max-minutes'] ?? 20) * 60_000;

/** Child processes holding `n` clients between them; each message from them lands in `on`. */
async function startChildren(n, sdkPath) {
  const count = Math.ceil(n / PER_PROCESS);
  const kids = [];
  for (let i = 0; i < count; i++) {
    const share = Math.floor(n / count) + (i < n % count ? 1 : 0);
    const execArgv = opt['prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${opt['prof-dir']}`] : [];
    const child = fork(path.join(here, 'lib', 'clients.mjs'), [sdkPath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    const kid = { child, share, handlers: new Set(), rounds: new Map() };
    child.on('message', (m) => {
      if (m.type === 'error') console.error(`client process: ${m.message}`);
      if (m.type === 'round') kid.rounds.set(m.round, m);
      for (const h of [...kid.handlers]) h(m);
    });
    kids.push(kid);
    await next(kid, (m) => m.type === 'up');
  }
  return kids;
}

function next(kid, pred, ms = 60_000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (kid.handlers.delete(h), reject(new Error('a client process did not answer in time'))), ms);
    const h = (m) => {
      if (!pred(m)) return;
      clearTimeout(t);
      kid.handlers.delete(h);
      resolve(m);
    };
    kid.handlers.add(h);
  });
}

/** Sends a command to every child and waits for each one's `type` answer. */
async function all(kids, cmd, type, extra = () => ({})) {
  const waits = kids.map((k) => next(k, (m) => m.type === type || m.type === 'error'));
  kids.forEach((k, i) => k.child.send({ ...cmd, ...extra(k, i) }));
  const answers = await Promise.all(waits);
  const err = answers.find((a) => a.type === 'error');
  if (err) throw new Error(err.message);
  return answers;
}

/** Resolves with the latest `last` timestamp once every child reported `round` (reports are kept, so it may have come already). */
function roundDone(kids, round) {
  const one = (k) => (k.rounds.has(round) ? Promise.resolve(k.rounds.get(round)) : next(k, (m) => m.type === 'round' && m.round === round, 30_000));
  return Promise.all(kids.map(one)).then((ms) => {
    for (const k of kids) k.rounds.delete(round);
    return Math.max(...ms.map((m) => m.last));
  });
}

const stats = (xs) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), max: Math.max(...xs) });

async function runSize(n, sdkPath) {
  const server = await startBenchServer();
  const kids = await startChildren(n, sdkPath);
  try {
    await server.api('POST', '/api/flags', { key: 'bench-flag', owner: 'bench@acme', description: 'propagation bench' });
    const { key: sdkKey } = await server.api('POST', '/api/sdk-keys', { name: 'bench' });
    const snap = await (await fetch(`${server.url}/sdk/flags`, { headers: { authorization: `Bearer ${sdkKey}` } })).json();
    const flag = snap.flags.find((f) => f.key === 'bench-flag');
    // The bytes our server sends for a kill: a `changes` message holding the killed flag.
    const bytes = Buffer.from(JSON.stringify({ type: 'changes', since: snap.version, version: snap.version + 1, flags: [{ ...flag, killed: true, version: flag.version + 1 }], removed: [] }));

    // 1. Bare ws broadcast of the same bytes to the same N clients (same client processes), whose
    // clients parse each message; then again with each client writing an acknowledgement back
    // (what the SDK adds on the wire) and the server reading them.
    const bareRun = async (ack) => {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
      await new Promise((r) => wss.once('listening', r));
      // With acks, a round ends when the server has read all N of them (as a kill's `waitMs` does),
      // so one round's acks never overlap the next round's sends.
      let acks = 0;
      let allAcked = () => {};
      if (ack) wss.on('connection', (ws) => ws.on('message', (d) => (JSON.parse(String(d)), ++acks % n === 0 && allAcked())));
      await all(kids, { cmd: 'bare', url: `ws://127.0.0.1:${wss.address().port}`, ack }, 'ready', (k) => ({ n: k.share }));
      const times = [];
      for (let r = 1; r <= KILLS + WARMUP; r++) {
        const done = roundDone(kids, r);
        const t0 = nowMs();
        for (const ws of wss.clients) ws.send(bytes, { binary: false });
        const acked = ack ? new Promise((res) => (allAcked = res)) : null;
        const last = await done;
        await acked;
        if (r > WARMUP) times.push(last - t0);
      }
      await all(kids, { cmd: 'close' }, 'closed');
      await new Promise((r) => wss.close(r));
      for (const k of kids) k.rounds.clear();
      return { times, acks };
    };
    const bare = (await bareRun(false)).times;
    const bareAck = (await bareRun(true)).times;

    // 2. Switchyard: real SDK clients, kills over HTTP. The tracker's `sent` (called just before the
    // send loop) is wrapped to time the server's own part: request -> commit -> first socket write.
    const tracker = server.running.push.sdk.deps.push.tracker;
    const sentAt = new Map();
    const sent = tracker.sent.bind(tracker);
    tracker.sent = (since, version, keys) => (sentAt.set(version, nowMs()), sent(since, version, keys));
    const toWrite = [];
    await all(kids, { cmd: 'sdk', url: server.url, sdkKey, flag: 'bench-flag' }, 'ready', (k) => ({ n: k.share }));
    const applied = [];
    const acked = [];
    const serverSlowest = [];
    const restoreApplied = [];
    let reached = '';
    for (let r = 1; r <= KILLS + WARMUP; r++) {
      for (const action of ['kill', 'restore']) {
        const t0 = nowMs();
        const post = server.api('POST', `/api/flags/bench-flag/${action}`, { reason: `bench ${action} ${r}`, waitMs: 5000 }, 'oncall');
        const res = await post;
        const tAck = nowMs() - t0;
        const last = await roundDone(kids, res.stateVersion);
        if (r <= WARMUP) continue;
        if (action === 'kill') {
          applied.push(last - t0);
          toWrite.push(sentAt.get(res.stateVersion) - t0);
          acked.push(tAck);
          serverSlowest.push(res.propagation.slowestMs);
          reached = `${res.propagation.applied} of ${res.propagation.connected}`;
        } else restoreApplied.push(last - t0);
      }
    }
    await all(kids, { cmd: 'close' }, 'closed');
    return { n, procs: kids.length, bare: stats(bare), bareAck: stats(bareAck), applied: stats(applied), acked: stats(acked), slowest: stats(serverSlowest), restore: stats(restoreApplied), toWrite: stats(toWrite), reached };
  } finally {
    // `exit` (not a signal) so that a profiled child writes its profile.
    await Promise.all(kids.map((k) => new Promise((r) => (k.child.once('exit', r), k.child.send({ cmd: 'exit' })))));
    await server.close();
  }
}

const sdkPath = await bundleTs('sdk-clients', SDK_ENTRY);
const results = [];
try {
  for (const n of SIZES) {
    if (Date.now() > deadline) {
      console.log(`(skipped N=${n}: past the time budget)`);
      continue;
    }
    process.stderr.write(`  propagation N=${n}...\n`);
    results.push(await runSize(n, sdkPath));
  }
} finally {
  fs.rmSync(sdkPath, { force: true });
}

table(
  `propagation: ms from the kill request (Switchyard) or the first send (bare ws) until all N clients had it, over ${KILLS} kills`,
  ['N (client processes)', 'request→first write p50', 'bare ws p50', 'bare ws p99', 'bare ws + acks p50', 'bare ws + acks p99', 'all applied p50', 'all applied p99', 'server counted all acks p50', 'acks p99', 'server send→last ack p99', 'restore applied p99', 'ratio p99 (applied / bare)', 'ratio p99 (applied / bare + acks)', 'acks counted'],
  results.map((r) => [
    `${r.n.toLocaleString('en')} (${r.procs})`,
    fmt(r.toWrite.p50),
    fmt(r.bare.p50), fmt(r.bare.p99), fmt(r.bareAck.p50), fmt(r.bareAck.p99), fmt(r.applied.p50), fmt(r.applied.p99), fmt(r.acked.p50), fmt(r.acked.p99), fmt(r.slowest.p99), fmt(r.restore.p99),
    `${fmt(r.applied.p99 / r.bare.p99, 2)}×`, `${fmt(r.applied.p99 / r.bareAck.p99, 2)}×`, r.reached,
  ]),
);
process.exit(0);
