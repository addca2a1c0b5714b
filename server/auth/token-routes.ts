import { z } from 'zod';
import { routeFor } from '../http/route.js';
import { reasonSchema, text } from '../validation.js';
import type { TokenRevocationService, TokenRevocationView } from './token-revocations.js';

export const revokeTokenSchema = z
  .strictObject({
    jti: text(200, 'jti').optional(),
    sub: text(200, 'sub').optional(),
    before: z.iso.datetime({ offset: true }).optional(),
    reason: reasonSchema,
  })
  .refine((b) => (b.jti === undefined) !== (b.sub === undefined), { message: 'send exactly one of "jti" or "sub"', path: ['jti'] })
  .refine((b) => b.before === undefined || b.sub !== undefined, { message: '"before" goes with "sub"', path: ['before'] });

/** `TokenRevocationView`: the revocation, as the audit entry records it too. */
export const tokenRevocationSchema = z.strictObject({
  id: z.string(),
  jti: z.string().nullable(),
  sub: z.string().nullable(),
  before: z.string().nullable(),
  revokedAt: z.string(),
  revokedBy: z.string(),
}) satisfies z.ZodType<TokenRevocationView>;

const route = routeFor<{ tokens: TokenRevocationService }>('auth');

/** `POST /api/tokens/revoke` (admin): one token by jti, or every token of a subject issued before a time. */
export const tokenRoutes = [
  route({
    method: 'post', path: '/api/tokens/revoke', summary: 'Revoke user tokens: one by jti, or every token of a subject issued before a time',
    description: 'Audited (`token.revoke`). A revoked token gets 401 `token_revoked` on its next request, and its open admin streams close with 4401 `token_revoked`. `before` defaults to now.',
    access: { permission: 'manageKeys' }, body: revokeTokenSchema, response: tokenRevocationSchema,
    example: { body: { sub: 'contractor@acme', reason: 'laptop lost; every token issued so far is void' } },
    handler: ({ body: b, actor }, { tokens }) => {
      const target = b.jti !== undefined ? { jti: b.jti } : { sub: b.sub!, before: b.before === undefined ? undefined : new Date(b.before) };
      return tokens.revoke(actor, target, b.reason);
    },
  }),
];
