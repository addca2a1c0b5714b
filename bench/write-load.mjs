// bench/write-load — kill and restore latency (HTTP round trip, p50/p99) on an idle server and
// while a separate load process drives mixed API traffic at a stated rate: flag reads
// (GET /api/flags/:key), metric batches (POST /api/metrics, 1,000 samples each) and admin edits
// (PATCH /api/flags/:key). A kill must not queue behind metric ingestion.
//
//   node bench/write-load.mjs [--seconds=20] [--kills=100] [--reads=200] [--batches=20] [--edits=5]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { args, fmt, nowMs, percentile, table } from './lib/table.mjs';

const opt = args();

if (opt.role === 'load') {
  // The load process: open-loop at fixed rates (per second), for `seconds`, then reports counts.
  const { url, tokens, seconds, reads, batches, edits } = JSON.parse(process.argv[2]);
  const until = Date.now() + seconds * 1000;
  const counts = { reads: 0, batches: 0, edits: 0, errors: 0, samples: 0 };
  const call = async (method, p, token, body, what) => {
    try {
      const res = await fetch(url + p, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
      const b = await res.json();
      if (res.status >= 400) counts.errors++;
      else counts[what]++;
      return b;
    } catch {
      counts.errors++;
    }
  };
  const samples = Array.from({ length: 1000 }, (_, i) => ({ flag: `load-${i % 20}`, metric: 'error_rate', value: (i % 10) / 1000, cohort: i % 2 ? 'treatment' : 'control' }));
  const versions = new Map();
  const every = (rate, fn) =>
    new Promise((resolve) => {
      if (rate <= 0) return resolve();
      const t = setInterval(() => (Date.now() > until ? (clearInterval(t), resolve()) : fn()), 1000 / rate);
    });
  await Promise.all([
    every(reads, () => call('GET', `/api/flags/load-${counts.reads % 20}`, tokens.viewer, undefined, 'reads')),
    every(batches, () => {
      counts.samples += samples.length;
      return call('POST', '/api/metrics', tokens.metrics, { samples }, 'batches');
    }),
    every(edits, async () => {
      const key = `load-${(counts.edits + counts.errors) % 20}`;
      const v = versions.get(key) ?? (await call('GET', `/api/flags/${key}`, tokens.viewer, undefined, 'reads'))?.version;
      const b = await call('PATCH', `/api/flags/${key}`, tokens.engineer, { version: v, description: `edited at ${Date.now()}` }, 'edits');
      if (b?.version) versions.set(key, b.version);
      else versions.delete(key);
    }),
  ]);
  await new Promise((r) => setTimeout(r, 200));
  process.send(counts);
  process.exit(0);
}

const { startBenchServer } = await import('./lib/server.mjs');
const SECONDS = Number(opt.seconds ?? 20);
const KILLS = Number(opt.kills ?? 100);
const rates = { reads: Number(opt.reads ?? 200), batches: Number(opt.batches ?? 20), edits: Number(opt.edits ?? 5) };

const server = await startBenchServer();
try {
  await server.api('POST', '/api/flags', { key: 'kill-target', owner: 'oncall@acme' });
  for (let i = 0; i < 20; i++) await server.api('POST', '/api/flags', { key: `load-${i}`, owner: 'bench@acme' });

  /** Kill/restore pairs spread over `ms`; returns each round trip in ms. */
  async function killLoop(count, ms) {
    const times = { kill: [], restore: [] };
    const gap = ms / count;
    for (let i = 0; i < count; i++) {
      for (const action of ['kill', 'restore']) {
        const t0 = nowMs();
        await server.api('POST', `/api/flags/kill-target/${action}`, { reason: `bench ${i}` }, 'oncall');
        times[action].push(nowMs() - t0);
      }
      await new Promise((r) => setTimeout(r, gap));
    }
    return times;
  }

  const idle = await killLoop(Math.min(KILLS, 50), 2000);
  const tokens = { viewer: await server.token('viewer'), metrics: await server.token('metrics'), engineer: await server.token('engineer') };
  const load = fork(fileURLToPath(import.meta.url), [JSON.stringify({ url: server.url, tokens, seconds: SECONDS, ...rates }), '--role=load'], { stdio: 'inherit' });
  const loadDone = new Promise((r) => load.once('message', r));
  await new Promise((r) => setTimeout(r, 500)); // let the load reach its rates
  const busy = await killLoop(KILLS, (SECONDS - 1.5) * 1000);
  const counts = await loadDone;

  const row = (name, xs) => [name, xs.length, fmt(percentile(xs, 50)), fmt(percentile(xs, 99)), fmt(Math.max(...xs))];
  table(
    `kill / restore round trip (ms), idle and under load for ${SECONDS} s`,
    ['what', 'n', 'p50', 'p99', 'max'],
    [row('kill, idle', idle.kill), row('restore, idle', idle.restore), row('kill, under load', busy.kill), row('restore, under load', busy.restore)],
  );
  table(
    'the load it ran beside (one client process)',
    ['traffic', 'target rate /s', 'done', 'achieved /s'],
    [
      ['flag reads (GET /api/flags/:key)', rates.reads, counts.reads, fmt(counts.reads / SECONDS)],
      ['metric batches (POST /api/metrics, 1,000 samples)', rates.batches, counts.batches, fmt(counts.batches / SECONDS)],
      ['metric samples', rates.batches * 1000, counts.samples, fmt(counts.samples / SECONDS, 0)],
      ['admin edits (PATCH /api/flags/:key)', rates.edits, counts.edits, fmt(counts.edits / SECONDS)],
      ['errors', 0, counts.errors, ''],
    ],
  );
} finally {
  await server.close();
}
process.exit(0);
