import { Router } from 'express';
import { actorOf, requireRole } from '../auth/auth-middleware.js';
import { parse } from '../validation.js';
import { archiveSchema, createFlagSchema, listFlagsQuerySchema, patchFlagSchema, unarchiveSchema } from './flag-schemas.js';
import type { FlagService } from './flag-service.js';

export function flagRoutes(flags: FlagService): Router {
  const r = Router();

  r.get('/flags', requireRole('read'), async (req, res) => {
    const q = parse(listFlagsQuerySchema, req.query, 'query');
    const list = await flags.list({ includeArchived: q.archived === 'true', tag: q.tag, owner: q.owner });
    res.json({ flags: list });
  });

  r.post('/flags', requireRole('editFlags'), async (req, res) => {
    const input = parse(createFlagSchema, req.body);
    res.status(201).json(await flags.create(actorOf(req), input));
  });

  r.get('/flags/:key', requireRole('read'), async (req, res) => {
    res.json(await flags.get(req.params.key as string));
  });

  r.patch('/flags/:key', requireRole('editFlags'), async (req, res) => {
    const input = parse(patchFlagSchema, req.body);
    res.json(await flags.update(actorOf(req), req.params.key as string, input));
  });

  r.post('/flags/:key/archive', requireRole('editFlags'), async (req, res) => {
    const input = parse(archiveSchema, req.body);
    res.json(await flags.archive(actorOf(req), req.params.key as string, input.reason, input.version));
  });

  r.post('/flags/:key/unarchive', requireRole('unarchive'), async (req, res) => {
    const input = parse(unarchiveSchema, req.body);
    res.json(await flags.unarchive(actorOf(req), req.params.key as string, input.reason, input.version));
  });

  return r;
}
