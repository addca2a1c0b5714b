// bench/audit — GET /api/audit/verify over N audit entries (default 1,000,000): time, and the
// server process's peak RSS while it runs (it must stream, not load everything); then the cost of
// one audit page (GET /api/audit?limit=50) at the newest end, the middle and the oldest end.
// The entries go straight through the AuditRecorder (the same code every change uses), 20,000
// per transaction, into a temp SQLite file; the server is then started on that file.
//
//   node bench/audit.mjs [N=1000000]
import { args, fmt, median, nowMs, table } from './lib/table.mjs';
import { importTs } from './lib/ts.mjs';
import { startBenchServer } from './lib/server.mjs';

const opt = args();
const N = Number(opt._[0] ?? 1_000_000);
const PER_TRX = 20_000;

const m = await importTs(
  'audit',
  `export { openDb } from './server/db.ts';
   export { AuditRecorder } from './server/audit/audit-recorder.ts';`,
);

// 1. A server on a fresh data dir (runs the migrations), stopped; fill its file; start it again.
let server = await startBenchServer();
const { dataDir } = server;
await server.running.close();
const opened = m.openDb(`${dataDir}/switchyard.db`);
const recorder = new m.AuditRecorder(() => new Date('2026-11-24T12:00:00Z'), opened);
const actor = { sub: 'bench', role: 'engineer', requestId: 'bench' };
const tFill = nowMs();
for (let done = 0; done < N; ) {
  const n = Math.min(PER_TRX, N - done);
  await opened.db.transaction().execute(async (trx) => {
    for (let i = 0; i < n; i++) {
      const k = done + i;
      await recorder.record(trx, actor, { action: 'flag.update', flag: `flag-${k % 100}`, before: { description: `v${k}` }, after: { description: `v${k + 1}` }, reason: `bench entry ${k}` });
    }
  });
  done += n;
  if (done % 200_000 === 0) process.stderr.write(`  ${done.toLocaleString('en')} entries\n`);
}
const fillMs = nowMs() - tFill;
await opened.close();
server = await startBenchServer({ dataDir });

// 2. Verify, sampling RSS every 20 ms.
global.gc?.();
const rss0 = process.memoryUsage().rss;
let peak = rss0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const t0 = nowMs();
const verify = await server.api('GET', '/api/audit/verify', undefined, 'viewer');
const verifyMs = nowMs() - t0;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);

// 3. One page of 50 at three depths (the cursor is the `next` of a previous page: entries below that seq).
async function pageMs(cursor) {
  const q = `/api/audit?limit=50${cursor ? `&cursor=${cursor}` : ''}`;
  const xs = [];
  for (let i = 0; i < 21; i++) {
    const t = nowMs();
    await server.api('GET', q, undefined, 'viewer');
    xs.push(nowMs() - t);
  }
  return median(xs.slice(1));
}
const pages = [
  ['newest page', await pageMs()],
  ['middle (cursor = N/2)', await pageMs(Math.floor(N / 2))],
  ['oldest end (cursor = 100)', await pageMs(100)],
];
await server.close();

table(`audit over ${N.toLocaleString('en')} entries`, ['what', 'value'], [
  ['entries written through the recorder', `${N.toLocaleString('en')} in ${fmt(fillMs / 1000)} s (${fmt(N / (fillMs / 1000), 0)}/s, ${PER_TRX.toLocaleString('en')} per transaction)`],
  ['GET /api/audit/verify', `${fmt(verifyMs / 1000, 2)} s (${fmt(N / (verifyMs / 1000), 0)} entries/s), ok=${verify.ok}`],
  ['process RSS before → peak during verify', `${fmt(rss0 / 2 ** 20, 0)} → ${fmt(peak / 2 ** 20, 0)} MiB (+${fmt((peak - rss0) / 2 ** 20, 0)} MiB)`],
]);
table('one audit page of 50 (median of 20, ms)', ['depth', 'ms'], pages.map(([k, v]) => [k, fmt(v, 2)]));
process.exit(0);
