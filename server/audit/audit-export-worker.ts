import { Worker } from 'node:worker_threads';

/** What one export's worker is told: where to read, the compiled page query, and how to encode. */
export interface ExportJob {
  kind: 'sqlite' | 'postgres';
  /** The SQLite file, or PostgreSQL's connection string. */
  target: string;
  /** The resolved path of `better-sqlite3` or `pg` (the worker's code is evaluated, not imported). */
  module: string;
  /** `auditPageQuery` compiled: its last two parameters are the keyset (`after`) and the page size. */
  sql: string;
  params: unknown[];
  format: 'jsonl' | 'csv';
  columns: readonly string[];
  /** What the caller's role may not see (audit-redaction.ts `hiddenFor`), and what it reads as. */
  hide: Array<{ actions: string[]; fields: string[] }>;
  redacted: string;
  pageBytes: number;
  /** The worker thread's nice value on Linux (where it is per thread): below the event loop's. */
  nice: number;
}

/**
 * The worker, as source evaluated in a worker thread (so it runs the same from the TypeScript
 * tests, the bundled CLI and the benches): its own read-only connection, keyset pages of about
 * `pageBytes`, each encoded there and handed over as one transferred buffer. The main thread only
 * writes bytes (issue 20 #9). At most two chunks are in flight: it waits for "more" (backpressure).
 * On Linux the thread lowers its own priority (`nice`), so on a busy machine the kernel runs
 * the event loop, and a kill on it, before the export.
 * `toEntry`, `redact` and `csvCell` are the worker's copies of audit-store.ts `toAuditEntry`,
 * audit-redaction.ts `redactEntry` and audit-export.ts `csvCell`: test/audit-export-worker.test.ts
 * holds them to the same bytes as GET /api/audit.
 */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData: w } = require('node:worker_threads');
// On Linux a nice value is a thread's own: the export yields the CPU to the event loop (a kill).
if (process.platform === 'linux') {
  try { require('node:os').setPriority(0, w.nice); } catch {}
}
let credit = 2;
let wake = null;
parentPort.on('message', (m) => {
  if (m !== 'more') return;
  credit++;
  if (wake) { const f = wake; wake = null; f(); }
});
const hide = w.hide.map((r) => ({ actions: new Set(r.actions), fields: r.fields }));
const parse = (t) => (t === null ? null : JSON.parse(t));
function toEntry(r) {
  return { seq: r.seq, at: r.at, actor: r.actor, role: r.role, action: r.action, flag: r.flag, before: parse(r.before), after: parse(r.after),
    reason: r.reason, requestId: r.request_id, clientRequestId: r.client_request_id ?? null,
    environment: r.environment ?? null, prevHash: r.prev_hash, hash: r.hash };
}
function redact(e) {
  let out;
  for (const rule of hide) {
    if (!rule.actions.has(e.action)) continue;
    for (const side of ['before', 'after']) {
      const v = (out ?? e)[side];
      if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
      const hidden = rule.fields.filter((f) => f in v);
      if (hidden.length === 0) continue;
      out ??= { ...e };
      out[side] = { ...v, ...Object.fromEntries(hidden.map((f) => [f, w.redacted])) };
      out.redacted = [...(out.redacted ?? []), ...hidden.map((f) => side + '.' + f)];
    }
  }
  return out ?? e;
}
function csvCell(v) {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  const safe = /^[=+\-@\t\r]/.test(s) ? "'" + s : s;
  return '"' + safe.replace(/"/g, '""') + '"';
}
const line = w.format === 'csv' ? (e) => w.columns.map((c) => csvCell(e[c])).join(',') + '\n' : (e) => JSON.stringify(e) + '\n';
async function open() {
  if (w.kind === 'sqlite') {
    const SQLite = require(w.module);
    const db = new SQLite(w.target, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const stmt = db.prepare(w.sql);
    return { read: async (p) => stmt.all(...p), close: async () => db.close() };
  }
  const pg = require(w.module);
  const types = { getTypeParser: (oid, f) => (oid === 20 && f !== 'binary' ? (v) => Number(v) : pg.types.getTypeParser(oid, f)) };
  // DATABASE_URL's own parameters (sslmode, options=-c search_path=...) apply as on the server's pool.
  const client = new pg.Client({ connectionString: w.target, types, application_name: 'switchyard-audit-export' });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('SET default_transaction_read_only = on');
  return { read: async (p) => (await client.query(w.sql, p)).rows, close: () => client.end() };
}
async function run() {
  const src = await open();
  try {
    const encoder = new TextEncoder();
    let after = 0;
    let batch = 100;
    for (;;) {
      const p = w.params.slice();
      p[p.length - 2] = after;
      p[p.length - 1] = batch;
      const rows = await src.read(p);
      let bytes = 0;
      let text = '';
      for (const r of rows) {
        bytes += 256 + (r.before ? r.before.length : 0) + (r.after ? r.after.length : 0) + (r.reason ? r.reason.length : 0);
        text += line(redact(toEntry(r)));
      }
      if (text) {
        while (credit <= 0) await new Promise((resolve) => (wake = resolve));
        credit--;
        const chunk = encoder.encode(text);
        parentPort.postMessage(chunk, [chunk.buffer]);
      }
      if (rows.length < batch) break;
      after = rows[rows.length - 1].seq;
      batch = Math.min(1000, Math.max(10, Math.floor((batch * w.pageBytes) / bytes)));
    }
  } finally {
    await src.close();
  }
}
run().then(() => parentPort.postMessage({ done: true }), (err) => parentPort.postMessage({ error: String((err && err.message) || err) }));
`;

/** Export workers running now; past MAX_EXPORT_WORKERS an export runs on the main thread (as before, yielding between pages). */
let running = 0;
export const MAX_EXPORT_WORKERS = 2;

/** Whether another export may have a worker of its own now. */
export function workerFree(): boolean {
  return running < MAX_EXPORT_WORKERS;
}

/**
 * The export's bytes, chunk by chunk, built on a worker thread; asks for the next chunk only when
 * the caller comes back for it (after writing this one). Leaving the loop early ends the worker.
 */
export async function* workerChunks(job: ExportJob): AsyncGenerator<Uint8Array> {
  running++;
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: job });
  const inbox: unknown[] = [];
  let wake: (() => void) | undefined;
  const put = (m: unknown) => {
    inbox.push(m);
    wake?.();
    wake = undefined;
  };
  worker.on('message', put);
  worker.on('error', (err) => put({ error: err.message }));
  worker.on('exit', (code) => put({ error: `the export worker exited (${code})` }));
  try {
    for (;;) {
      while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const m = inbox.shift() as Uint8Array | { done?: true; error?: string };
      if (m instanceof Uint8Array) {
        yield m;
        worker.postMessage('more');
      } else if ('done' in m) return;
      else throw new Error(`audit export: ${m.error}`);
    }
  } finally {
    running--;
    void worker.terminate();
  }
}
