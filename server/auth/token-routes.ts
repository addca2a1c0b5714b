import { Router } from 'express';
import { z } from 'zod';
import { actorOf, requireRole } from './auth-middleware.js';
import { parse, reasonSchema, text } from '../validation.js';
import type { TokenRevocationService } from './token-revocations.js';

export const revokeTokenSchema = z
  .strictObject({
    jti: text(200, 'jti').optional(),
    sub: text(200, 'sub').optional(),
    before: z.iso.datetime({ offset: true }).optional(),
    reason: reasonSchema,
  })
  .refine((b) => (b.jti === undefined) !== (b.sub === undefined), { message: 'send exactly one of "jti" or "sub"', path: ['jti'] })
  .refine((b) => b.before === undefined || b.sub !== undefined, { message: '"before" goes with "sub"', path: ['before'] });

/** `POST /api/tokens/revoke` (admin): one token by jti, or every token of a subject issued before a time. */
export function tokenRoutes(tokens: TokenRevocationService): Router {
  const r = Router();
  r.post('/tokens/revoke', requireRole('manageKeys'), async (req, res) => {
    const b = parse(revokeTokenSchema, req.body);
    const target = b.jti !== undefined ? { jti: b.jti } : { sub: b.sub!, before: b.before === undefined ? undefined : new Date(b.before) };
    res.json(await tokens.revoke(actorOf(req), target, b.reason));
  });
  return r;
}
