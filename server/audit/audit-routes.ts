import type { Request, Response } from 'express';
import { z } from 'zod';
import { routeFor } from '../http/route.js';
import type { AuditService } from './audit-service.js';
import type { AuditEntry, VerifyResult } from '@switchyard-flags/sdk/api';
import { redactEntry } from './audit-redaction.js';
import { CSV_COLUMNS } from './audit-export.js';

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time, e.g. 2026-11-24T09:00:00Z' });

const filterShape = {
  flag: z.string().max(100).optional(),
  environment: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'environment must be an environment key').optional(),
  actor: z.string().max(200).optional(),
  action: z.string().max(100).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
};

/** `limit` and `cursor` of every paged audit read (the trail and its checkpoints). */
export const pageShape = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, 'cursor must be the "next" value of a previous page')
    .transform(Number)
    .optional(),
};

export const listQuery = z.strictObject({ ...filterShape, ...pageShape });

export const verifyQuery = z.strictObject({
  expectHead: z.string().regex(/^[0-9a-f]{64}$/, 'expectHead must be a 64-character hex hash from an earlier verify').optional(),
});

export const exportQuery = z.strictObject({ ...filterShape, format: z.enum(['jsonl', 'csv']).default('jsonl') });

/** Times are compared as stored (UTC ISO strings), so normalise what the caller sent. */
function utc(t: string | undefined): string | undefined {
  return t === undefined ? undefined : new Date(t).toISOString();
}

/**
 * Writes with backpressure: waits for `drain` when the socket's buffer is full. False when the
 * reader went away (then the export stops instead of waiting for a drain that never comes).
 */
async function writeAll(res: Response, chunk: string | Uint8Array): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', drained).off('close', closed);
      resolve(ok);
    };
    const drained = done(true);
    const closed = done(false);
    res.once('drain', drained).once('close', closed);
  });
}

/** `AuditEntry` (sdk/src/api.ts): one entry of the hash chain as the caller's role may see it. */
export const auditEntrySchema = z.strictObject({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  role: z.string(),
  action: z.string(),
  flag: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  reason: z.string().nullable(),
  requestId: z.string().nullable(),
  clientRequestId: z.string().nullable(),
  environment: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
  redacted: z.array(z.string()).optional(),
}).meta({ id: 'AuditEntry' }) satisfies z.ZodType<AuditEntry>;

/** `GET /api/audit`: one page, newest first. */
export const auditPageSchema = z.strictObject({ entries: z.array(auditEntrySchema), next: z.string().nullable() });

/** `VerifyResult` (sdk/src/api.ts): `GET /api/audit/verify`. */
export const verifyShapes = {
  ok: { ok: z.literal(true), count: z.number().int(), head: z.string() },
  broken: { ok: z.literal(false), count: z.number().int(), firstBad: z.number().int().nullable(), problem: z.string(), head: z.string() },
};
export const verifyResultSchema = z.union([z.strictObject(verifyShapes.ok), z.strictObject(verifyShapes.broken)]).meta({ id: 'VerifyResult' }) satisfies z.ZodType<VerifyResult>;

const route = routeFor<{ audit: AuditService }>('audit');

const roleOf = (req: Request) => (req.principal?.kind === 'user' ? req.principal.role : undefined);

/** The audit trail: paged reads, the chain's verification, and the export. */
export const auditRoutes = [
  route({
    method: 'get', path: '/api/audit', summary: 'Audit entries, newest first, filtered and paged', access: { permission: 'read' },
    query: listQuery, response: auditPageSchema,
    handler: async ({ query: q, req }, { audit }) => {
      const page = await audit.list({ ...q, from: utc(q.from), to: utc(q.to) }, q.cursor, q.limit);
      const role = roleOf(req);
      return { entries: page.entries.map((e) => redactEntry(e, role)), next: page.next === null ? null : String(page.next) };
    },
  }),
  route({
    method: 'get', path: '/api/audit/verify', summary: 'Verify the hash chain (against a head kept elsewhere with ?expectHead=)',
    access: { permission: 'read' }, query: verifyQuery, response: verifyResultSchema,
    handler: ({ query }, { audit }) => audit.verify(query.expectHead),
  }),
  route({
    method: 'get', path: '/api/audit/export', summary: 'Export the audit trail as JSON lines or CSV', access: { permission: 'read' },
    query: exportQuery, produces: ['application/x-ndjson', 'text/csv'],
    handler: async ({ query: q, req, res }, { audit }) => {
      const csv = q.format === 'csv';
      res.setHeader('Content-Type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="switchyard-audit.${q.format}"`);
      if (csv) await writeAll(res, CSV_COLUMNS.join(',') + '\n');
      // Read and encoded on a worker thread where it can be: the event loop only writes (audit-export.ts).
      for await (const chunk of audit.exportChunks({ ...q, from: utc(q.from), to: utc(q.to) }, q.format, roleOf(req))) {
        if (!(await writeAll(res, chunk))) return;
      }
      res.end();
    },
  }),
];
