import { createRequire } from 'node:module';
import type { AuditEntry, Role } from '@switchyard-flags/sdk/api';
import type { Db } from '../storage/schema.js';
import type { Storage } from '../storage/storage.js';
import { auditPageQuery, iterateAudit, ITERATE_PAGE_BYTES, toAuditEntry, type AuditFilter } from './audit-store.js';
import { hiddenFor, REDACTED, redactEntry } from './audit-redaction.js';
import { workerChunks, workerFree, type ExportJob } from './audit-export-worker.js';

export type ExportFormat = 'jsonl' | 'csv';

/** The export worker's nice value on Linux (the event loop's is the process's, usually 0). */
export const EXPORT_NICE = 10;

/** Where an export's worker reads from: the SQLite file or PostgreSQL's URL (none: the main thread reads). */
export interface ExportSource {
  kind: 'sqlite' | 'postgres';
  target: string;
}

/** The source of `storage`: its SQLite file (not `:memory:`), or `databaseUrl` on PostgreSQL. */
export function exportSourceOf(storage: Storage, databaseUrl: string | undefined): ExportSource | undefined {
  if (storage.kind === 'sqlite') {
    const file = storage.sqlite?.name;
    return file && file !== ':memory:' ? { kind: 'sqlite', target: file } : undefined;
  }
  return databaseUrl ? { kind: 'postgres', target: databaseUrl } : undefined;
}

export const CSV_COLUMNS = ['seq', 'at', 'actor', 'role', 'action', 'flag', 'reason', 'requestId', 'before', 'after', 'prevHash', 'hash', 'environment'] as const;

/** One CSV cell, quoted; a leading =,+,-,@ is prefixed so spreadsheets never run it as a formula. */
export function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** One entry as a line of the export. */
export function exportLine(e: AuditEntry, format: ExportFormat): string {
  return format === 'csv' ? CSV_COLUMNS.map((c) => csvCell(e[c as keyof AuditEntry])).join(',') + '\n' : JSON.stringify(e) + '\n';
}

const nodeRequire = createRequire(import.meta.url);
const modules: Partial<Record<ExportSource['kind'], string>> = {};
const moduleFor = (kind: ExportSource['kind']) => (modules[kind] ??= nodeRequire.resolve(kind === 'sqlite' ? 'better-sqlite3' : 'pg'));

/**
 * The export's bytes after its header, oldest entry first, as `role` may see them. With a source
 * (a file or a URL) and a worker free, a worker thread reads and encodes (audit-export-worker.ts):
 * the event loop only writes bytes, so a kill beside a large export waits for no page of it
 * (issue 20 #9). Otherwise the main thread reads keyset pages, yielding between them.
 */
export function exportChunks(db: Db, source: ExportSource | undefined, f: AuditFilter, format: ExportFormat, role: Role | 'system' | undefined): AsyncGenerator<string | Uint8Array> {
  if (source && workerFree()) {
    const page = auditPageQuery(db, f, 0, 100).compile();
    const params = [...page.parameters];
    // The keyset and the page size must be the last two parameters (the worker moves them).
    if (params.at(-2) === 0 && params.at(-1) === 100) {
      const job: ExportJob = {
        kind: source.kind, target: source.target, module: moduleFor(source.kind), sql: page.sql, params, format,
        columns: CSV_COLUMNS, hide: hiddenFor(role), redacted: REDACTED, pageBytes: ITERATE_PAGE_BYTES, nice: EXPORT_NICE,
      };
      return workerChunks(job);
    }
  }
  return mainThreadChunks(db, f, format, role);
}

/** The same bytes, read and encoded on the main thread in keyset pages (audit-store.ts iterateAudit). */
async function* mainThreadChunks(db: Db, f: AuditFilter, format: ExportFormat, role: Role | 'system' | undefined): AsyncGenerator<string> {
  let text = '';
  for await (const row of iterateAudit(db, f)) {
    text += exportLine(redactEntry(toAuditEntry(row), role), format);
    if (text.length >= ITERATE_PAGE_BYTES) {
      yield text;
      text = '';
    }
  }
  if (text) yield text;
}
