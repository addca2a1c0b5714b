/**
 * Issue 20 #9, the last of it: beside an audit export the kill's p99 stayed 2.1–4.4x quiet
 * (docs/performance.md §16), because every page of the export was read (a synchronous SQLite
 * query) and encoded on the event loop between the kill's steps. Now a worker thread with its own
 * read-only connection reads and encodes; the event loop only writes bytes. These tests hold it
 * to that (the server's own connection runs none of the export's page queries) and to the same
 * bytes as the main thread builds, redaction and CSV quoting included. SQLite and PostgreSQL.
 */
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledQuery } from 'kysely';
import { exportChunks, exportLine, exportSourceOf, CSV_COLUMNS, EXPORT_NICE, type ExportFormat } from '../server/audit/audit-export.js';
import { MAX_EXPORT_WORKERS } from '../server/audit/audit-export-worker.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

const PROMPT = 'Answer as a careful support agent; cite "the order number". '.repeat(200); // ~12 KB

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
  await createFlag(ts, 'big-prompt', { on: `${PROMPT} v0`, off: 'v0' });
  for (let v = 1; v <= 60; v++) {
    const r = await ts.api('PATCH', '/api/flags/big-prompt', { as: 'engineer', body: { version: v, on: `${PROMPT} v${v}` } });
    if (r.status !== 200) throw new Error(r.text);
  }
  // More than loopback's socket buffers hold (~8 MB of CSV), so a held-open export keeps its worker busy
  // until the reader resumes (with less, the worker could finish into the buffers before it is seen).
  await createFlag(ts, 'bulk-prompt', { on: `${PROMPT} v0`, off: 'v0' });
  for (let v = 1; v <= 320; v++) {
    const r = await ts.api('PATCH', '/api/flags/bulk-prompt', { as: 'engineer', body: { version: v, on: `${PROMPT} w${v}` } });
    if (r.status !== 200) throw new Error(r.text);
  }
  // What only some roles may see (an SDK key's id, name and prefix), and text a spreadsheet would run.
  const key = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'checkout-web' } });
  if (key.status !== 201 && key.status !== 200) throw new Error(key.text);
  await createFlag(ts, 'checkout');
  const kill = await ts.api('POST', '/api/flags/checkout/kill', { as: 'oncall', body: { reason: '=HYPERLINK("http://x") @on-call -1 +2 "quoted"' } });
  if (kill.status !== 200) throw new Error(kill.text);
});
afterAll(() => ts?.close());

/** The queries the server's own Kysely handle runs while `fn` does. */
async function queriesDuring(fn: () => Promise<unknown>): Promise<CompiledQuery[]> {
  const executor = ts.running.storage.db.getExecutor() as unknown as { executeQuery: (q: CompiledQuery, ...rest: unknown[]) => Promise<unknown> };
  const original = executor.executeQuery;
  const seen: CompiledQuery[] = [];
  executor.executeQuery = function (q, ...rest) {
    seen.push(q);
    return original.call(this, q, ...rest);
  };
  try {
    await fn();
  } finally {
    executor.executeQuery = original;
  }
  return seen;
}

/**
 * An export's first page: audit entries oldest first from the start (keyset 0). The cluster's
 * catch-up (PostgreSQL) reads the same shape, but after the head it already has.
 */
const isExportPage = (q: CompiledQuery) => /from "audit"/i.test(q.sql) && /order by "seq" asc/i.test(q.sql) && q.parameters.at(-2) === 0;

async function collect(chunks: AsyncGenerator<string | Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(parts).toString('utf8');
}

/** A raw GET whose body is not read until `resume()`. */
async function pausedGet(path: string, token: string) {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(`${ts.url}${path}`, { headers: { authorization: `Bearer ${token}` } }, resolve).on('error', reject);
  });
  res.pause();
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<string>((resolve, reject) => {
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
  return { res, done };
}

describe('the audit export off the event loop', () => {
  it("an export reads the trail on a connection of its own: the server's connection runs none of its page queries", async () => {
    let text = '';
    const seen = await queriesDuring(async () => {
      text = (await ts.api('GET', '/api/audit/export?format=csv', { as: 'viewer' })).text;
    });
    expect(text.trim().split('\n').length).toBeGreaterThan(60);
    expect(seen.filter(isExportPage).map((q) => q.sql)).toEqual([]);
  });

  it('the worker writes the bytes the main thread would, for every role and both formats, redaction and formula quoting included', async () => {
    const { storage, config } = ts.running;
    const source = exportSourceOf(storage, config.databaseUrl);
    expect(source).toBeDefined();
    for (const role of ['viewer', 'engineer', 'admin'] as const) {
      for (const format of ['jsonl', 'csv'] as ExportFormat[]) {
        const byWorker = await collect(exportChunks(storage.db, source, {}, format, role));
        const byMain = await collect(exportChunks(storage.db, undefined, {}, format, role));
        expect(byWorker.length, `${role} ${format}`).toBeGreaterThan(60 * 24_000);
        expect(byWorker, `${role} ${format}`).toBe(byMain);
      }
    }
    // What the HTTP export serves is the same: the trail as GET /api/audit pages it, oldest first.
    const entries: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { entries: unknown[]; next: string | null } } = await ts.api('GET', `/api/audit?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { as: 'viewer' });
      entries.push(...page.body.entries);
      cursor = page.body.next;
    } while (cursor);
    entries.reverse();
    const csv = await ts.api('GET', '/api/audit/export?format=csv', { as: 'viewer' });
    expect(csv.text).toBe(CSV_COLUMNS.join(',') + '\n' + entries.map((e) => exportLine(e as never, 'csv')).join(''));
    expect(csv.text).toContain(`"'=HYPERLINK(""http://x"") @on-call -1 +2 ""quoted"""`);
    const jsonl = await ts.api('GET', '/api/audit/export', { as: 'viewer' });
    expect(jsonl.text).toBe(entries.map((e) => JSON.stringify(e) + '\n').join(''));
    expect(jsonl.text).toContain('"redacted":["after.id","after.name","after.prefix"]');
  });

  it("the export's thread runs at a lower priority than the event loop, so the kernel runs a kill first (Linux: nice per thread)", async () => {
    /** Nice value of each thread of this process (the server runs in the test's process). */
    const nices = () =>
      fs.readdirSync('/proc/self/task').flatMap((t) => {
        try {
          return [Number(fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]!.split(' ')[16])];
        } catch {
          return []; // a thread that ended between the listing and the read
        }
      });
    const settled = { timeout: 10_000 }; // a worker thread starts and ends in its own time
    await expect.poll(() => nices().filter((n) => n === EXPORT_NICE).length, settled).toBe(0); // earlier tests' workers have ended
    const held = await pausedGet('/api/audit/export?format=csv', await ts.token('viewer'));
    await expect.poll(() => nices().filter((n) => n === EXPORT_NICE).length, settled).toBe(1);
    expect(fs.readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ')[16]).toBe('0'); // the event loop's own thread
    held.res.resume();
    await held.done;
    await expect.poll(() => nices().filter((n) => n === EXPORT_NICE).length, settled).toBe(0);
  });

  it('exports past the worker cap, beside held-open ones, are served in full on the main thread', async () => {
    const viewer = await ts.token('viewer');
    const held = await Promise.all(Array.from({ length: MAX_EXPORT_WORKERS }, () => pausedGet('/api/audit/export?format=csv', viewer)));
    const full = await ts.api('GET', '/api/audit/export?flag=big-prompt', { as: 'viewer' });
    expect(full.text.trim().split('\n')).toHaveLength(61);
    const kill = await ts.api('POST', '/api/flags/big-prompt/kill', { as: 'oncall', body: { reason: 'cost spike while exports are held open' } });
    expect(kill.status).toBe(200);
    for (const h of held) h.res.resume();
    for (const text of await Promise.all(held.map((h) => h.done))) expect(text.trim().split('\n').length).toBeGreaterThan(61);
  });
});
