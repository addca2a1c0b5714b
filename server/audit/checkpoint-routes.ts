import { Router } from 'express';
import { z } from 'zod';
import { requireRole } from '../auth/auth-middleware.js';
import { parse } from '../validation.js';
import type { AuditCheckpoints } from './audit-checkpoints.js';

export const checkpointsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, 'cursor must be the "next" value of a previous page')
    .transform(Number)
    .optional(),
});

/** `GET /api/audit/checkpoints`: the signed checkpoints, newest first, and the public key that verifies them. */
export function checkpointRoutes(checkpoints: AuditCheckpoints): Router {
  const r = Router();
  r.get('/audit/checkpoints', requireRole('read'), async (req, res) => {
    const q = parse(checkpointsQuery, req.query, 'query');
    const page = await checkpoints.list(q.cursor, q.limit);
    res.json({ publicKey: checkpoints.publicKey, checkpoints: page.checkpoints, next: page.next === null ? null : String(page.next) });
  });
  r.get('/audit/checkpoints/verify', requireRole('read'), async (_req, res) => {
    res.json(await checkpoints.verify());
  });
  return r;
}
