import { Router } from 'express';
import { z } from 'zod';
import { actorOf, requireRole } from '../auth/auth-middleware.js';
import { parse, reasonSchema, tagSchema, versionSchema } from '../validation.js';
import type { KillScope, KillService } from './kill-service.js';
import type { Propagation } from '../../sdk/src/protocol.js';

/** Waits for connected SDKs to acknowledge a flag's change (the push layer's tracker). */
export interface PropagationWaiter {
  waitFor(key: string, stateVersion: number, ms: number): Promise<Propagation>;
}

export const oneFlagSchema = z.strictObject({
  reason: reasonSchema,
  version: versionSchema.optional(),
  /** Wait up to this long for connected SDKs to acknowledge, and answer with `propagation`. */
  waitMs: z.number().int().min(0).max(5000).optional(),
});

export const scopeSchema = z
  .strictObject({
    tag: tagSchema.optional(),
    all: z.literal(true).optional(),
    reason: reasonSchema,
  })
  .refine((b) => (b.tag === undefined) !== (b.all === undefined), {
    message: 'send exactly one of "tag" or "all": true',
    path: ['tag'],
  });

function scopeOf(b: z.output<typeof scopeSchema>): KillScope {
  return b.tag !== undefined ? { tag: b.tag } : { all: true };
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
    res.json({ killed: result.changed, alreadyKilled: result.unchanged });
  });

  r.post('/restore', requireRole('kill'), async (req, res) => {
    const b = parse(scopeSchema, req.body);
    const result = await kills.restoreMany(actorOf(req), scopeOf(b), b.reason);
    res.json({ restored: result.changed, alreadyLive: result.unchanged });
  });

  return r;
}
