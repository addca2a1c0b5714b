import { Router } from 'express';
import { z } from 'zod';
import { actorOf, requireRole } from './auth-middleware.js';
import { parse, reasonSchema, text } from '../validation.js';
import type { SdkKeyService } from './sdk-keys.js';

export const createSchema = z.strictObject({ name: text(100, 'name') });
export const revokeSchema = z.strictObject({ reason: reasonSchema.optional() });

export function sdkKeyRoutes(keys: SdkKeyService): Router {
  const r = Router();
  r.get('/sdk-keys', requireRole('manageKeys'), async (_req, res) => {
    res.json({ keys: await keys.list() });
  });
  r.post('/sdk-keys', requireRole('manageKeys'), async (req, res) => {
    const b = parse(createSchema, req.body);
    res.status(201).json(await keys.create(actorOf(req), b.name));
  });
  r.post('/sdk-keys/:id/revoke', requireRole('manageKeys'), async (req, res) => {
    const b = parse(revokeSchema, req.body);
    res.json(await keys.revoke(actorOf(req), req.params.id as string, b.reason));
  });
  return r;
}
