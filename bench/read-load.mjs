// bench/read-load — kill latency while readers load the server (issue 20 #9), all in one run on
// one server: quiet; with a viewer looping on the flag list as the admin UI reads it (the first
// page); with a viewer walking every page with ?values=full; with an audit CSV export running in
// a loop. FLAGS flags carry two values of VALUE_KB each (the finding: 406 flags, 16 KB values),
// so the audit trail holds them too. 20 SDKs are connected; each kill is a fresh connection.
// A client looping on /healthz is the control: what any busy client costs on the shared machine.
// The readers run in a child process, so their own parsing does not slow the measuring one.
//
// --db=sqlite|postgres|both (default both): each database on a fresh server, one after the other;
// PostgreSQL is a throwaway embedded one (test/helpers/postgres.ts). The summary gives each row's
// p99 as a multiple of the same database's quiet p99, the control's beside it, and how busy the
// event loop's own thread was during each row (its CPU time ÷ the row's wall time, from Linux
// /proc: the server runs in the bench's process). That last figure is what a reader takes from the
// thread a kill runs on, and it moves far less with the machine's load than a p99 does.
//
//   node bench/read-load.mjs [FLAGS=406] [--value-kb=16] [--kills=80] [--viewers=1] [--rounds=4] [--warmup=5] [--phases=quiet,healthz,list,full,export] [--db=both]
import { fork } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { args, fmt, percentile, table } from './lib/table.mjs';
import { importTs } from './lib/ts.mjs';
import { freshKill } from './lib/kill.mjs';
import { ackingSdks } from './lib/sdk-peers.mjs';

const opt = args();

if (opt['load-child']) {
  // A reader, in its own process, looping until told to stop: `healthz` (the control: any busy
  // client on a shared 2-core machine), `list`, `full` or `export`.
  const { url, token, mode } = opt;
  const headers = { authorization: `Bearer ${token}` };
  let stop = false;
  let requests = 0;
  let bytes = 0;
  const get = async (p) => {
    const res = await fetch(url + p, { headers });
    const buf = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`${p}: ${res.status} ${buf.toString().slice(0, 200)}`);
    requests++;
    bytes += buf.length;
    return buf;
  };
  process.on('message', () => (stop = true));
  process.send({ type: 'ready' });
  const t0 = performance.now();
  while (!stop) {
    if (mode === 'healthz') await get('/healthz');
    else if (mode === 'list') await get('/api/flags');
    else if (mode === 'export') await get('/api/audit/export?format=csv');
    else {
      let next = null;
      do {
        const page = JSON.parse((await get(`/api/flags?values=full&limit=500${next ? `&cursor=${next}` : ''}`)).toString());
        next = page.next ?? null;
      } while (next && !stop);
    }
  }
  process.send({ type: 'done', requests, bytes, seconds: (performance.now() - t0) / 1000 }, () => process.exit(0));
  await new Promise(() => {});
}

const { startBenchServer } = await import('./lib/server.mjs');
const FLAGS = Number(opt._[0] ?? 406);
const VALUE_KB = Number(opt['value-kb'] ?? 16);
const KILLS = Number(opt.kills ?? 80);
const VIEWERS = Number(opt.viewers ?? 1);
const ROUNDS = Number(opt.rounds ?? 4);
if (KILLS % ROUNDS !== 0) throw new Error('--kills must be a multiple of --rounds');
const PHASES = String(opt.phases ?? 'quiet,healthz,list,full,export').split(',');
if (PHASES[0] !== 'quiet') throw new Error('--phases must start with quiet (the baseline)');
const WARMUP = Number(opt.warmup ?? 5);
if (KILLS * PHASES.length + WARMUP > FLAGS) throw new Error(`need at least ${KILLS * PHASES.length + WARMUP} flags for ${KILLS} kills per phase and ${WARMUP} warm-up kills`);

/** CPU time of the event loop's own thread so far (ms; Linux /proc, NaN elsewhere): the server runs in this process. */
function loopCpuMs() {
  try {
    const f = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in ticks of 10 ms (USER_HZ 100)
  } catch {
    return NaN;
  }
}

const DBS = String(opt.db ?? 'both') === 'both' ? ['sqlite', 'postgres'] : [String(opt.db)];

let postgres;
const summary = [];
try {
  for (const kind of DBS) summary.push(await runOn(kind));
} finally {
  await postgres?.stop();
}
const times = (r, ph) => `${fmt(r.p50[ph], 1)} / ${fmt(r.p99[ph], 1)} (${fmt(r.p99[ph] / r.p99.quiet, 2)}×; loop ${fmt(r.loop[ph], 0)}%)`;
table('summary: kill p50 / p99 (ms) beside each reader, p99 as a multiple of the same database\'s quiet p99, and the event-loop thread\'s CPU use',
  ['database', 'quiet p50 / p99', ...PHASES.slice(1)], summary.map((r) => [r.kind, `${fmt(r.p50.quiet, 1)} / ${fmt(r.p99.quiet, 1)}`, ...PHASES.slice(1).map((ph) => times(r, ph))]));
process.exit(0);

async function runOn(kind) {
  let databaseUrl;
  if (kind === 'postgres') {
    if (!postgres) {
      const { startPostgres } = await importTs('read-load-pg', `export { startPostgres } from './test/helpers/postgres.ts';`);
      postgres = await startPostgres();
    }
    databaseUrl = await postgres.createDatabase('bench');
  }
  const server = await startBenchServer(databaseUrl ? { databaseUrl } : {});
  process.stderr.write(`  database: ${kind}\n`);
  const peers = [];
  try {
    const prompt = 'You are a careful support agent: answer from the order history, cite the order number. ';
    const value = (tag) => `${tag} ${prompt.repeat(Math.ceil((VALUE_KB * 1024) / prompt.length))}`.slice(0, VALUE_KB * 1024 - 2); // its JSON (quoted) is VALUE_KB exactly
    const t0 = performance.now();
    for (let i = 0; i < FLAGS; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, FLAGS - i) }, (_, j) =>
          server.api('POST', '/api/flags', { key: `prompt-${String(i + j).padStart(4, '0')}`, owner: 'bench@acme', on: value(`v${i + j}`), off: value('v0') }),
        ),
      );
    }
    console.log(`${FLAGS} flags with two ${VALUE_KB} KB values created in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const { key } = await server.api('POST', '/api/sdk-keys', { name: 'bench' });
    peers.push(...(await ackingSdks(server.url, key)));

    const oncall = await server.token('oncall');
    const kill = (flag) => freshKill(server.url, oncall, flag);

    // Warm-up kills, not counted: the first kills of a fresh process pay for JIT and first-use
    // costs, which made the quiet row's p99 (its first kill) the slowest figure of the run.
    for (let i = 0; i < WARMUP; i++) await kill(`prompt-${String(FLAGS - 1 - i).padStart(4, '0')}`);

    const viewer = await server.token('viewer');
    // The phases take turns, ROUNDS times, so each samples the same stretch of a shared machine's load.
    const ms = Object.fromEntries(PHASES.map((ph) => [ph, []]));
    const load = Object.fromEntries(PHASES.map((ph) => [ph, { reqs: 0, bytes: 0, secs: 0, loopMs: 0, wallMs: 0 }]));
    let next = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const phase of PHASES) {
        const children = phase === 'quiet' ? [] : Array.from({ length: VIEWERS }, () =>
          fork(fileURLToPath(import.meta.url), ['--load-child', `--url=${server.url}`, `--token=${viewer}`, `--mode=${phase}`]));
        await Promise.all(children.map((c) => new Promise((r) => c.once('message', r))));
        if (children.length) await new Promise((r) => setTimeout(r, 500)); // let the readers get going
        const [cpu0, wall0] = [loopCpuMs(), performance.now()];
        for (let i = 0; i < KILLS / ROUNDS; i++) {
          ms[phase].push(await kill(`prompt-${String(next++).padStart(4, '0')}`));
          await new Promise((r) => setTimeout(r, 20));
        }
        load[phase].loopMs += loopCpuMs() - cpu0;
        load[phase].wallMs += performance.now() - wall0;
        const done = await Promise.all(children.map((c) => new Promise((r) => {
          c.on('message', (m) => m.type === 'done' && r(m));
          c.send('stop');
        })));
        for (const d of done) Object.assign(load[phase], { reqs: load[phase].reqs + d.requests, bytes: load[phase].bytes + d.bytes, secs: load[phase].secs + d.seconds / VIEWERS });
      }
    }
    const quietP99 = percentile(ms.quiet, 99);
    const what = {
      quiet: 'quiet',
      healthz: `${VIEWERS} client(s) looping on GET /healthz (control)`,
      list: `${VIEWERS} viewer(s) looping on GET /api/flags (first page)`,
      full: `${VIEWERS} viewer(s) walking every page with ?values=full`,
      export: `${VIEWERS} audit CSV export(s) in a loop`,
    };
    const rows = PHASES.map((ph) => {
      const l = load[ph];
      return [what[ph], ms[ph].length, fmt(percentile(ms[ph], 50), 1), fmt(percentile(ms[ph], 90), 1), fmt(percentile(ms[ph], 99), 1), fmt(Math.max(...ms[ph]), 1),
        fmt(percentile(ms[ph], 99) / quietP99, 2), l.secs ? `${l.reqs} req, ${fmt(l.bytes / 1e6 / l.secs, 1)} MB/s` : '—',
        Number.isFinite(l.loopMs) ? `${fmt((100 * l.loopMs) / l.wallMs, 0)}%` : '—'];
    });
    table(`${kind}: kill latency (ms), ${FLAGS} flags with two ${VALUE_KB} KB values, 20 SDKs connected, ${KILLS} kills per row in ${ROUNDS} turns`,
      ['while', 'kills', 'p50', 'p90', 'p99', 'max', 'p99 ÷ quiet', 'reader load', 'event-loop thread CPU'], rows);
    return { kind, loop: Object.fromEntries(PHASES.map((ph) => [ph, (100 * load[ph].loopMs) / load[ph].wallMs])), p50: Object.fromEntries(PHASES.map((ph) => [ph, percentile(ms[ph], 50)])), p99: Object.fromEntries(PHASES.map((ph) => [ph, percentile(ms[ph], 99)])) };
  } finally {
    for (const p of peers) p.terminate();
    await server.close();
  }
}
