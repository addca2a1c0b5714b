import { z } from 'zod';
import type { EvaluationContext } from '@switchyard-flags/sdk/protocol';
import { ValidationError } from '../errors.js';
import { flagViewSchema } from '../flags/flag-schemas.js';
import { routeFor } from '../http/route.js';
import type { EnvironmentService } from '../environments/environment-service.js';
import { advanceSchema, gateSchema, gatesViewSchema, pauseSchema, putPlanSchema, rollbackSchema, signoffSchema } from './plan-schema.js';
import type { PlanService } from './plan-service.js';
import { planPutResultSchema, planViewSchema, previewResultSchema, signoffResultSchema, signoffsViewSchema } from './rollout-responses.js';
import type { RolloutService, StageResult } from './rollout-service.js';

const stringOrList = z.union([z.string(), z.array(z.string())]).optional();

export const previewQuerySchema = z.strictObject({
  key: z.string().max(500).optional(),
  attr: stringOrList,
  context: z.string().max(8192, 'context must be at most 8 KiB of JSON').optional(),
  stage: z.string().regex(/^\d{1,3}$/, 'stage must be a stage number').optional(),
});

export const planQuerySchema = z.strictObject({
  version: z.string().regex(/^[1-9]\d{0,8}$/, 'version must be a positive integer').optional(),
});

/**
 * The context of a preview: `context` (a JSON object, for typed attributes), then `key`, then
 * each `attr=name:value` (string values) on top.
 */
function previewContext(q: z.output<typeof previewQuerySchema>): EvaluationContext {
  let ctx: EvaluationContext = {};
  if (q.context !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(q.context);
    } catch {
      throw new ValidationError('query is invalid: context must be a JSON object', [{ path: 'context', message: 'not valid JSON' }], 'invalid_query');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ValidationError('query is invalid: context must be a JSON object', [{ path: 'context', message: 'must be an object' }], 'invalid_query');
    }
    ctx = parsed as EvaluationContext;
  }
  if (q.key !== undefined) ctx.key = q.key;
  const attrs = q.attr === undefined ? [] : Array.isArray(q.attr) ? q.attr : [q.attr];
  for (const a of attrs) {
    const i = a.indexOf(':');
    if (i <= 0) {
      throw new ValidationError(`query is invalid: attr "${a}" must look like name:value`, [{ path: 'attr', message: 'must be name:value' }], 'invalid_query');
    }
    ctx[a.slice(0, i)] = a.slice(i + 1);
  }
  return ctx;
}

/** `StageResult` (rollout-service.ts): the flag after a stage move, the stage it is at, and the gates an advance checked. */
export const stageResultSchema = z.strictObject({
  flag: flagViewSchema,
  stage: z.number().int(),
  percent: z.number(),
  changed: z.boolean(),
  gates: z.array(gateSchema).optional(),
}) satisfies z.ZodType<StageResult>;

const route = routeFor<{ plans: PlanService; rollouts: RolloutService; environments: EnvironmentService }>('rollout');

/** Rollout plans, sign-offs, gates, stage moves and preview. Examples run in this order, after the metric samples' (test/openapi.test.ts). */
export const rolloutRoutes = [
  route({
    method: 'get', path: '/api/flags/:key/plan', summary: "The flag's rollout plan (a past version with ?version=)",
    response: planViewSchema, access: { permission: 'read' }, query: planQuerySchema,
    handler: async ({ query: q, params }, { plans, environments }) => plans.get(params.key!, q.version === undefined ? undefined : Number(q.version), await environments.scope(params.env)),
  }),
  route({
    method: 'put', path: '/api/flags/:key/plan', summary: 'Write the rollout plan (cohort, stages, gates, guardrails)',
    description: 'Stages default to 5 → 25 → 100 %. A new plan version voids the sign-offs given on the previous one. A `webhookUrl` inside the network (loopback, private, link-local, …; not in `WEBHOOK_ALLOW`) is a 400 `webhook_refused`; the answer shows a newly set URL in full, once; sending the redacted form back keeps the current URL.',
    response: planPutResultSchema, access: { permission: 'plan' }, body: putPlanSchema,
    example: {
      params: { key: 'support-draft' },
      body: {
        cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }],
        stages: [
          { name: 'canary', percent: 5, checks: [{ metric: 'eval_score', maxDropPct: 5, baseline: 0.82, guardrail: true, onBreach: 'kill' }] },
          { percent: 25, soakMinutes: 0, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01 }] },
          { percent: 100 },
        ],
        reason: 'first rollout of the drafting assistant',
      },
    },
    handler: async ({ body, params, actor }, { plans, environments }) => plans.put(actor, params.key!, body, await environments.scope(params.env)),
  }),
  route({
    method: 'get', path: '/api/flags/:key/signoffs', summary: 'Sign-offs on the current plan', response: signoffsViewSchema, access: { permission: 'read' },
    handler: async ({ params }, { plans, environments }) => plans.signoffs(params.key!, await environments.scope(params.env)),
  }),
  route({
    method: 'post', path: '/api/flags/:key/signoffs', summary: 'Sign off the next stage (PM; not the plan author alone)',
    response: signoffResultSchema, access: { permission: 'signoff' }, body: signoffSchema, status: 201,
    // snapshotId: what GET /gates answers at this point of the examples' replay (test/openapi.test.ts).
    example: { params: { key: 'support-draft' }, body: { comment: 'Reviewed 40 drafts from the eval set; tone is right.', stage: 1, snapshotId: '8754b7467080' } },
    handler: async ({ body, params, actor }, { plans, environments }) => plans.signoff(actor, params.key!, body, await environments.scope(params.env)),
  }),
  route({
    method: 'get', path: '/api/flags/:key/gates', summary: 'Whether the next stage may be reached, gate by gate, and why not',
    access: { permission: 'read' }, response: gatesViewSchema,
    handler: async ({ params }, { rollouts, environments }) => rollouts.gates(params.key!, await environments.scope(params.env)),
  }),
  route({
    method: 'post', path: '/api/flags/:key/advance', summary: 'Advance to the next stage (every gate must hold: 409 gates_not_met otherwise)',
    access: { permission: 'advance' }, body: advanceSchema, response: stageResultSchema,
    example: { params: { key: 'support-draft' }, body: { reason: 'sign-off in, eval score holding', toStage: 1 } },
    handler: async ({ body, params, actor }, { rollouts, environments }) => rollouts.advance(actor, params.key!, body, await environments.scope(params.env)),
  }),
  route({
    method: 'post', path: '/api/flags/:key/pause', summary: 'Pause the rollout (keeps serving the current stage; never gated)',
    access: { permission: 'pause' }, body: pauseSchema, response: stageResultSchema,
    example: { params: { key: 'support-draft' }, body: { reason: 'waiting on the weekend eval run' } },
    handler: async ({ body, params, actor }, { rollouts, environments }) => rollouts.pause(actor, params.key!, body, await environments.scope(params.env)),
  }),
  route({
    method: 'post', path: '/api/flags/:key/resume', summary: 'Resume a paused rollout', access: { permission: 'pause' },
    body: pauseSchema, response: stageResultSchema,
    example: { params: { key: 'support-draft' }, body: { reason: 'eval run is green' } },
    handler: async ({ body, params, actor }, { rollouts, environments }) => rollouts.resume(actor, params.key!, body, await environments.scope(params.env)),
  }),
  route({
    method: 'post', path: '/api/flags/:key/rollback', summary: 'Go back a stage, or to `toStage` (never gated)',
    access: { permission: 'rollback' }, body: rollbackSchema, response: stageResultSchema,
    example: { params: { key: 'support-draft' }, body: { reason: 'eval score dipped at 5%', toStage: 0 } },
    handler: async ({ body, params, actor }, { rollouts, environments }) => rollouts.rollback(actor, params.key!, body, await environments.scope(params.env)),
  }),
  route({
    method: 'get', path: '/api/flags/:key/preview', summary: 'What a context would get, at the current or a given stage',
    response: previewResultSchema, access: { permission: 'read' }, query: previewQuerySchema,
    handler: ({ query: q, params }, { rollouts }) => rollouts.preview(params.key!, previewContext(q), q.stage === undefined ? undefined : Number(q.stage)),
  }),
];
