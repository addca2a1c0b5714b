import { z } from 'zod';
import { flagViewSchema } from '../flags/flag-schemas.js';
import { routeFor } from '../http/route.js';
import { jsonValueWire } from '../http/schemas.js';
import { reasonSchema } from '../validation.js';
import type { CompareBoard } from './compare-service.js';
import { gateSchema } from './plan-schema.js';
import type { PromotionResult, PromotionService, PromotionView } from './promotion-service.js';

const envKey = (what: string) => z.string({ error: `${what} is required: an environment key such as staging` }).regex(/^[a-z][a-z0-9-]{0,31}$/, `${what} must be an environment key (a-z, 0-9, "-", at most 32, starting with a letter)`);
const hash = (what: string) => z.string({ error: `${what} is required: the one GET /api/flags/:key/promotion answered` }).regex(/^[0-9a-f]{64}$/, `${what} is the 64 hex characters GET /api/flags/:key/promotion answered`);

export const promotionQuerySchema = z.strictObject({ from: envKey('from'), to: envKey('to') });

export const promoteSchema = z.strictObject({
  from: envKey('from'),
  to: envKey('to'),
  sourceHash: hash('sourceHash'),
  targetHash: hash('targetHash'),
  reason: reasonSchema,
});

const changeWire = z.strictObject({ path: z.string(), from: jsonValueWire, to: jsonValueWire });

/** `PromotionView` (promotion-service.ts). */
export const promotionViewSchema = z.strictObject({
  flag: z.string(),
  from: z.string(),
  to: z.string(),
  fromPlanVersion: z.number().int(),
  toPlanVersion: z.number().int(),
  changes: z.array(changeWire),
  sourceHash: z.string(),
  targetHash: z.string(),
  gates: z.array(gateSchema),
  blocked: z.string().nullable(),
}).meta({ id: 'PromotionView' }) satisfies z.ZodType<PromotionView>;

export const promotionResultSchema = z.strictObject({
  flag: flagViewSchema,
  from: z.string(),
  to: z.string(),
  planVersion: z.number().int(),
  lineage: z.strictObject({ from: z.string(), fromPlanVersion: z.number().int(), sourceHash: z.string() }),
}) satisfies z.ZodType<PromotionResult>;

const cellWire = z.strictObject({ stage: z.number().int(), percent: z.number(), killed: z.boolean(), paused: z.boolean(), planVersion: z.number().int() });

/** `CompareBoard` (compare-service.ts). */
export const compareBoardSchema = z.strictObject({
  environments: z.array(z.string()),
  flags: z.array(z.strictObject({
    key: z.string(),
    envs: z.record(z.string(), cellWire),
    differences: z.array(z.strictObject({ kind: z.enum(['killed', 'paused', 'behind', 'hotfix', 'differs']), text: z.string(), envs: z.array(z.string()) })),
  })),
}).meta({ id: 'CompareBoard' }) satisfies z.ZodType<CompareBoard>;

const route = routeFor<{ promotions: PromotionService }>('environments');

/** Promotion between environments and the compare board (issue 23). */
export const promotionRoutes = [
  route({
    method: 'get', path: '/api/environments/compare', summary: "Every flag's stage in each environment side by side, and what differs",
    description: 'Differences in words: killed or paused in some environments only, "production is 2 plan versions behind staging" (a plan that came by promotion whose source moved on), "changed in production only (hotfix)" (edited after its promotion), and plans that differ without one.',
    access: { permission: 'read' }, response: compareBoardSchema,
    handler: (_i, { promotions }) => promotions.compare(),
  }),
  route({
    method: 'get', path: '/api/flags/:key/promotion', summary: "What promoting one environment's plan into another would change, field by field",
    description: 'Each changed field as `{path, from, to}` (`from`: the target\'s value today), the `sourceHash` and `targetHash` a promotion must send back, and the target\'s gates under the promoted plan (sign-offs start from none). `blocked` says why a promotion now would be refused.',
    access: { permission: 'read' }, query: promotionQuerySchema, response: promotionViewSchema,
    example: { params: { key: 'support-draft' }, query: { from: 'production', to: 'staging' } },
    handler: ({ params, query, actor }, { promotions }) => promotions.diff(actor, params.key!, query.from, query.to),
  }),
  route({
    method: 'post', path: '/api/flags/:key/promotion', summary: "Promote one environment's current plan into another (PM): its next plan version, bound to the diff",
    description: 'Creates the next plan version of `to` from `from`\'s current plan and lease, audited in `to` as `plan.promote` with `after.lineage` `{from, fromPlanVersion, sourceHash}`. Sign-offs on `to`\'s earlier versions are voided: its gates start from scratch. 409 `promotion_stale` if either side moved since the diff, `nothing_to_promote`, `no_plan`, or `plan_conflict` (a current stage it would change).',
    access: { permission: 'plan' }, body: promoteSchema, response: promotionResultSchema,
    // The hashes GET /promotion?from=production&to=staging answers at this point of the examples' replay (test/openapi.test.ts).
    example: {
      params: { key: 'support-draft' },
      body: {
        from: 'production', to: 'staging', reason: 'staging tries the production plan',
        sourceHash: '064b6b52a39d35bedc4d871e952b0ee9a2dd2aaa845cac0783d57f71874f7cf3', targetHash: '01f098e4750afc6ed2f46548e1553735ad85f0ab0e68367ed5b829de0b5ff529',
      },
    },
    handler: ({ body, params, actor }, { promotions }) => promotions.promote(actor, params.key!, body),
  }),
];
