import { z } from 'zod';
import { batchSchema, metricsQuerySchema, sampleSchema } from '../samples/sample-schemas.js';
import { advanceSchema, pauseSchema, putPlanSchema, rollbackSchema, signoffSchema } from '../rollout/plan-schema.js';
import { planQuerySchema, previewQuerySchema } from '../rollout/rollout-routes.js';
import type { RouteDoc } from './route-doc.js';

/** Rollout plans, metric reports, sign-offs, gates, stage moves and preview; examples run in this order (metrics before the advance they gate). */
export const rolloutRouteDocs: RouteDoc[] = [
  {
    method: 'get', path: '/api/flags/:key/plan', tag: 'rollout', summary: "The flag's rollout plan (a past version with ?version=)",
    access: { permission: 'read' }, query: planQuerySchema, returns: 'the plan with its version, author and the stages; a `webhookUrl` is redacted (`https://hooks.example/…/****`) with `webhookUrlHash` for every role',
  },
  {
    method: 'put', path: '/api/flags/:key/plan', tag: 'rollout', summary: 'Write the rollout plan (cohort, stages, gates, guardrails)',
    description: 'Stages default to 5 → 25 → 100 %. A new plan version voids the sign-offs given on the previous one. A `webhookUrl` inside the network (loopback, private, link-local, …; not in `WEBHOOK_ALLOW`) is a 400 `webhook_refused`; the answer shows a newly set URL in full, once; sending the redacted form back keeps the current URL.',
    access: { permission: 'plan' }, body: putPlanSchema, returns: 'the plan and the FlagView',
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
  },
  {
    method: 'post', path: '/api/metrics', tag: 'metrics', summary: 'Report a metric sample, or a batch of up to 1000 `{samples: [...]}`',
    description:
      'Guardrails are checked against each fresh sample; a breach pauses or kills the flag (audited as the system). At most METRIC_NAMES_PER_FLAG distinct names per flag (400 too_many_metric_names) and METRICS_RATE_LIMIT samples per second per token (429 metrics_rate_limited, Retry-After).',
    access: { permission: 'reportMetrics' }, body: z.union([sampleSchema, batchSchema]), status: 201, returns: '`{stored, tripped, uncounted?}`',
    example: { body: { samples: [{ flag: 'support-draft', metric: 'eval_score', value: 0.84 }, { flag: 'support-draft', metric: 'error_rate', value: 0.002 }] } },
  },
  {
    method: 'get', path: '/api/flags/:key/signoffs', tag: 'rollout', summary: 'Sign-offs on the current plan', access: { permission: 'read' },
    returns: 'the sign-offs, voided ones marked',
  },
  {
    method: 'post', path: '/api/flags/:key/signoffs', tag: 'rollout', summary: 'Sign off the next stage (PM; not the plan author alone)',
    access: { permission: 'signoff' }, body: signoffSchema, status: 201, returns: 'the sign-off',
    example: { params: { key: 'support-draft' }, body: { comment: 'Reviewed 40 drafts from the eval set; tone is right.', stage: 1 } },
  },
  {
    method: 'get', path: '/api/flags/:key/gates', tag: 'rollout', summary: 'Whether the next stage may be reached, gate by gate, and why not',
    access: { permission: 'read' }, returns: '`{stage, next, gates: [{kind, ok, ...}]}`',
  },
  {
    method: 'post', path: '/api/flags/:key/advance', tag: 'rollout', summary: 'Advance to the next stage (every gate must hold: 409 gates_not_met otherwise)',
    access: { permission: 'advance' }, body: advanceSchema, returns: 'the FlagView and the stage reached',
    example: { params: { key: 'support-draft' }, body: { reason: 'sign-off in, eval score holding', toStage: 1 } },
  },
  {
    method: 'post', path: '/api/flags/:key/pause', tag: 'rollout', summary: 'Pause the rollout (keeps serving the current stage; never gated)',
    access: { permission: 'pause' }, body: pauseSchema, returns: 'the FlagView',
    example: { params: { key: 'support-draft' }, body: { reason: 'waiting on the weekend eval run' } },
  },
  {
    method: 'post', path: '/api/flags/:key/resume', tag: 'rollout', summary: 'Resume a paused rollout', access: { permission: 'pause' },
    body: pauseSchema, returns: 'the FlagView',
    example: { params: { key: 'support-draft' }, body: { reason: 'eval run is green' } },
  },
  {
    method: 'post', path: '/api/flags/:key/rollback', tag: 'rollout', summary: 'Go back a stage, or to `toStage` (never gated)',
    access: { permission: 'rollback' }, body: rollbackSchema, returns: 'the FlagView and the stage reached',
    example: { params: { key: 'support-draft' }, body: { reason: 'eval score dipped at 5%', toStage: 0 } },
  },
  {
    method: 'get', path: '/api/flags/:key/preview', tag: 'rollout', summary: 'What a context would get, at the current or a given stage',
    access: { permission: 'read' }, query: previewQuerySchema, returns: 'the Evaluation: `{value, reason, bucket?}`',
  },
  {
    method: 'get', path: '/api/flags/:key/metrics', tag: 'metrics', summary: "The flag's metric series (per metric and cohort)",
    access: { permission: 'read' }, query: metricsQuerySchema, returns: 'one page of at most 50 metric names: `{flag, stage, since, metrics, next}`; pass `next` as `after` for the next page',
  },
];
