import { Router } from 'express';
import { z } from 'zod';
import { actorOf, requireRole } from '../auth/auth-middleware.js';
import { parse, reasonSchema, tagSchema, versionSchema } from '../validation.js';
import type { BulkKillResult, BulkRestoreResult } from '../../sdk/src/api.js';
import type { Propagation } from '../../sdk/src/protocol.js';
import type { BulkResult, KillRestoreOutcome, KillScope, KillService } from './kill-service.js';

/** Waits for connected SDKs to acknowledge a flag's change (the push layer's tracker). */
export interface PropagationWaiter {
  waitFor(key: string, stateVersion: number, ms: number): Promise<Propagation>;
}

/** Wait up to this long for connected SDKs to acknowledge, and answer with `propagation`. */
const waitMsSchema = z.number().int().min(0).max(5000).optional();

export const oneFlagSchema = z.strictObject({
  reason: reasonSchema,
  version: versionSchema.optional(),
  waitMs: waitMsSchema,
});

export const scopeSchema = z
  .strictObject({
    tag: tagSchema.optional(),
    all: z.literal(true).optional(),
    reason: reasonSchema,
    waitMs: waitMsSchema,
  })
  .refine((b) => (b.tag === undefined) !== (b.all === undefined), {
    message: 'send exactly one of "tag" or "all": true',
    path: ['tag'],
  });

/** `POST /api/restore`: the same scopes, or exactly one kill by its id (from the kill's answer). */
export const restoreScopeSchema = z
  .strictObject({
    tag: tagSchema.optional(),
    all: z.literal(true).optional(),
    killId: z.uuid('killId must be the id a kill answered with (a UUID)').optional(),
    reason: reasonSchema,
    waitMs: waitMsSchema,
  })
  .refine((b) => [b.tag, b.all, b.killId].filter((x) => x !== undefined).length === 1, {
    message: 'send exactly one of "tag", "all": true or "killId"',
    path: ['tag'],
  });

function scopeOf(b: { tag?: string; all?: true }): KillScope {
  return b.tag !== undefined ? { tag: b.tag } : { all: true };
}

/**
 * Delivery figures for every flag a bulk action changed. One wait, on the latest change: an SDK
 * acknowledges a global version, so one that applied the last change applied all the earlier
 * ones; then each flag's own figures, without waiting again.
 */
async function bulkPropagation(waiter: PropagationWaiter, r: BulkResult, ms: number): Promise<Record<string, Propagation>> {
  const changes = Object.entries(r.stateVersions);
  if (!changes.length) return {};
  const [lastKey, lastVersion] = changes.reduce((a, b) => (b[1] > a[1] ? b : a));
  await waiter.waitFor(lastKey, lastVersion, ms);
  const figures = await Promise.all(changes.map(([key, v]) => waiter.waitFor(key, v, 0)));
  return Object.fromEntries(figures.map((p) => [p.key, p]));
}

export function killRoutes(kills: KillService, propagation?: PropagationWaiter): Router {
  const r = Router();

  r.post('/flags/:key/kill', requireRole('kill'), async (req, res) => {
    const b = parse(oneFlagSchema, req.body);
    const { flag, changed } = await kills.kill(actorOf(req), req.params.key as string, b.reason, b.version);
    if (b.waitMs !== undefined && propagation) {
      res.json({ ...flag, changed, propagation: await propagation.waitFor(flag.key, flag.stateVersion, b.waitMs) });
      return;
    }
    res.json({ ...flag, changed });
  });

  r.post('/flags/:key/restore', requireRole('kill'), async (req, res) => {
    const b = parse(oneFlagSchema, req.body);
    const { flag, changed } = await kills.restore(actorOf(req), req.params.key as string, b.reason, b.version);
    if (b.waitMs !== undefined && propagation) {
      res.json({ ...flag, changed, propagation: await propagation.waitFor(flag.key, flag.stateVersion, b.waitMs) });
      return;
    }
    res.json({ ...flag, changed });
  });

  r.post('/kill', requireRole('kill'), async (req, res) => {
    const b = parse(scopeSchema, req.body);
    const result = await kills.killMany(actorOf(req), scopeOf(b), b.reason);
    const body: BulkKillResult = { killId: result.killId, killed: result.changed, alreadyKilled: result.unchanged };
    if (b.waitMs !== undefined && propagation) body.propagation = await bulkPropagation(propagation, result, b.waitMs);
    res.json(body);
  });

  r.post('/restore', requireRole('kill'), async (req, res) => {
    const b = parse(restoreScopeSchema, req.body);
    const result: BulkResult & Partial<KillRestoreOutcome> =
      b.killId !== undefined ? await kills.restoreKill(actorOf(req), b.killId, b.reason) : await kills.restoreMany(actorOf(req), scopeOf(b), b.reason);
    const body: BulkRestoreResult = { restored: result.changed, alreadyLive: result.unchanged };
    if (result.notThisKill) body.notThisKill = result.notThisKill;
    if (b.waitMs !== undefined && propagation) body.propagation = await bulkPropagation(propagation, result, b.waitMs);
    res.json(body);
  });

  return r;
}
