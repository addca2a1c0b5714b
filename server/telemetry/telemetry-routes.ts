import { Router } from 'express';
import { z } from 'zod';
import { requireRole } from '../auth/auth-middleware.js';
import { parse } from '../validation.js';
import type { TelemetryService } from './telemetry-service.js';

const daysParam = z
  .string()
  .regex(/^\d{1,4}$/, 'days must be a whole number of days from 1 to 3650')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 3650, 'days must be from 1 to 3650');

/** `GET /api/flags/:key/usage?days=N`: evaluations per stage; all time unless `days` is given. */
export const usageQuerySchema = z.strictObject({ days: daysParam.optional() });

/** `GET /api/stale-flags?days=30`: live flags not evaluated for that many days. */
export const staleQuerySchema = z.strictObject({ days: daysParam.default(30) });

export function telemetryRoutes(telemetry: TelemetryService): Router {
  const r = Router();
  r.get('/stale-flags', requireRole('read'), async (req, res) => {
    const q = parse(staleQuerySchema, req.query, 'query');
    res.json(await telemetry.stale(q.days));
  });
  r.get('/flags/:key/usage', requireRole('read'), async (req, res) => {
    const q = parse(usageQuerySchema, req.query, 'query');
    res.json(await telemetry.usage(req.params.key as string, q.days));
  });
  return r;
}
