import { z } from 'zod';
import type { StaleFlagsView, UsageView } from '@switchyard-flags/sdk/api';
import { routeFor } from '../http/route.js';
import type { EnvironmentService } from '../environments/environment-service.js';
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

const stageUsage = z.strictObject({
  stage: z.number().int(),
  percent: z.number(),
  evaluations: z.number().int(),
  on: z.number().int(),
  off: z.number().int(),
  fallback: z.number().int(),
  users: z.number().int().nullable(),
  lastEvaluatedAt: z.string().nullable(),
});

/** `UsageView` (sdk/src/api.ts). */
export const usageViewSchema = z.strictObject({
  key: z.string(),
  stage: z.number().int(),
  days: z.number().int().nullable(),
  evaluations: z.number().int(),
  users: z.number().int().nullable(),
  lastEvaluatedAt: z.string().nullable(),
  stages: z.array(stageUsage),
}) satisfies z.ZodType<UsageView>;

/** `StaleFlagsView` (sdk/src/api.ts). */
export const staleFlagsViewSchema = z.strictObject({
  days: z.number().int(),
  cutoff: z.string(),
  flags: z.array(z.strictObject({ key: z.string(), owner: z.string(), createdAt: z.string(), lastEvaluatedAt: z.string().nullable() })),
}) satisfies z.ZodType<StaleFlagsView>;

const route = routeFor<{ telemetry: TelemetryService; environments: EnvironmentService }>('telemetry');

/** Evaluation telemetry: usage per stage, and the flags nobody evaluates any more. */
export const telemetryRoutes = [
  route({
    method: 'get', path: '/api/flags/:key/usage', summary: 'Evaluations SDKs served, per stage (evaluation telemetry)',
    access: { permission: 'read' }, query: usageQuerySchema, response: usageViewSchema,
    handler: async ({ query, params }, { telemetry, environments }) => telemetry.usage(params.key!, query.days, await environments.scope(params.env)),
  }),
  route({
    method: 'get', path: '/api/stale-flags', summary: 'Live flags not evaluated for N days (candidates for removal)',
    description: 'Never-evaluated flags count once they are N days old.',
    access: { permission: 'read' }, query: staleQuerySchema, response: staleFlagsViewSchema,
    handler: ({ query }, { telemetry }) => telemetry.stale(query.days),
  }),
];
