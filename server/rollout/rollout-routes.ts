import { Router } from 'express';
import { z } from 'zod';
import type { EvaluationContext } from '../../sdk/src/protocol.js';
import { actorOf, requireRole } from '../auth/auth-middleware.js';
import { ValidationError } from '../errors.js';
import { parse } from '../validation.js';
import { advanceSchema, pauseSchema, putPlanSchema, rollbackSchema, signoffSchema } from './plan-schema.js';
import type { PlanService } from './plan-service.js';
import type { RolloutService } from './rollout-service.js';

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

export function rolloutRoutes(plans: PlanService, rollouts: RolloutService): Router {
  const r = Router();
  const key = (p: unknown) => p as string;

  r.get('/flags/:key/plan', requireRole('read'), async (req, res) => {
    const q = parse(planQuerySchema, req.query, 'query');
    res.json(await plans.get(key(req.params.key), q.version === undefined ? undefined : Number(q.version)));
  });

  r.put('/flags/:key/plan', requireRole('plan'), async (req, res) => {
    const input = parse(putPlanSchema, req.body);
    res.json(await plans.put(actorOf(req), key(req.params.key), input));
  });

  r.get('/flags/:key/signoffs', requireRole('read'), async (req, res) => {
    res.json(await plans.signoffs(key(req.params.key)));
  });

  r.post('/flags/:key/signoffs', requireRole('signoff'), async (req, res) => {
    const input = parse(signoffSchema, req.body);
    res.status(201).json(await plans.signoff(actorOf(req), key(req.params.key), input));
  });

  r.get('/flags/:key/gates', requireRole('read'), async (req, res) => {
    res.json(await rollouts.gates(key(req.params.key)));
  });

  r.post('/flags/:key/advance', requireRole('advance'), async (req, res) => {
    const b = parse(advanceSchema, req.body);
    res.json(await rollouts.advance(actorOf(req), key(req.params.key), b));
  });

  r.post('/flags/:key/rollback', requireRole('rollback'), async (req, res) => {
    const b = parse(rollbackSchema, req.body);
    res.json(await rollouts.rollback(actorOf(req), key(req.params.key), b));
  });

  r.post('/flags/:key/pause', requireRole('pause'), async (req, res) => {
    const b = parse(pauseSchema, req.body);
    res.json(await rollouts.pause(actorOf(req), key(req.params.key), b));
  });

  r.post('/flags/:key/resume', requireRole('pause'), async (req, res) => {
    const b = parse(pauseSchema, req.body);
    res.json(await rollouts.resume(actorOf(req), key(req.params.key), b));
  });

  r.get('/flags/:key/preview', requireRole('read'), async (req, res) => {
    const q = parse(previewQuerySchema, req.query, 'query');
    res.json(await rollouts.preview(key(req.params.key), previewContext(q), q.stage === undefined ? undefined : Number(q.stage)));
  });

  return r;
}
