import { z } from 'zod';
import { routeFor } from '../http/route.js';
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

const route = routeFor<{ telemetry: TelemetryService }>('telemetry');

/** Evaluation telemetry: usage per stage, and the flags nobody evaluates any more. */
export const telemetryRoutes = [
  route({
    method: 'get', path: '/api/flags/:key/usage', summary: 'Evaluations SDKs served, per stage (evaluation telemetry)',
    access: { permission: 'read' }, query: usageQuerySchema,
    returns: '`{key, stage, days, evaluations, users, lastEvaluatedAt, stages: [{stage, percent, evaluations, on, off, fallback, users, lastEvaluatedAt}]}` (`users`: about how many distinct users were served `on`, from SDKs that report reach; null when none did)',
    handler: ({ query, params }, { telemetry }) => telemetry.usage(params.key!, query.days),
  }),
  route({
    method: 'get', path: '/api/stale-flags', summary: 'Live flags not evaluated for N days (candidates for removal)',
    description: 'Never-evaluated flags count once they are N days old.',
    access: { permission: 'read' }, query: staleQuerySchema, returns: '`{days, cutoff, flags: [{key, owner, createdAt, lastEvaluatedAt}]}`',
    handler: ({ query }, { telemetry }) => telemetry.stale(query.days),
  }),
];
