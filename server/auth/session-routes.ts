import { z } from 'zod';
import { ROLES } from '@switchyard-flags/sdk/api';
import { Unauthorized } from '../errors.js';
import { routeFor } from '../http/route.js';
import { MAX_DEPTH } from '../validation.js';
import type { OidcSignIn } from './oidc-sign-in.js';
import { decideRole } from './oidc-roles.js';
import type { SessionService, SessionView } from './session-service.js';

/** `GET /api/session`: who the caller is, however they signed in. */
export const currentSessionSchema = z.strictObject({
  sub: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  role: z.enum(ROLES),
  via: z.enum(['oidc', 'token']),
  /** ISO; null for a token without `exp`. */
  expiresAt: z.string().nullable(),
  /** Send as X-CSRF-Token with every change made with the session cookie; null for a token. */
  csrfToken: z.string().nullable(),
});

export const sessionViewSchema = z.strictObject({
  id: z.string(),
  sub: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  role: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
}) satisfies z.ZodType<SessionView>;

export const roleDecisionSchema = z.strictObject({
  role: z.enum(ROLES).nullable(),
  matched: z.string().nullable(),
  claim: z.string(),
  seen: z.array(z.string()),
});

export const roleMappingSchema = z.strictObject({
  /** null: no identity provider is configured (OIDC_ISSUER unset). */
  provider: z.strictObject({ issuer: z.string(), name: z.string(), reachable: z.boolean() }).nullable(),
  claim: z.string(),
  map: z.record(z.string(), z.enum(ROLES)),
  defaultRole: z.enum(ROLES).nullable(),
});

const claimsBody = z.strictObject({
  claims: z.record(z.string(), z.unknown()).refine((c) => JSON.stringify(c).length <= 64 * 1024 && depth(c) <= MAX_DEPTH, 'claims must be at most 64 KiB of JSON'),
});

function depth(v: unknown): number {
  return v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0;
}

const route = routeFor<{ sessions: SessionService; oidc?: OidcSignIn }>('auth');
const NO_MAPPING = { claim: 'groups', map: {}, defaultRole: undefined };

/** The sessions of the admin UI and the role mapping, under /api. */
export const sessionRoutes = [
  route({
    method: 'get', path: '/api/session', summary: 'Who is calling: the session (sign-in with the identity provider) or the token',
    description: '`via` is "oidc" for a session cookie, "token" for a bearer token; `csrfToken` goes in `X-CSRF-Token` with every change made with the session cookie. 401 without a session or token.',
    access: { permission: 'read' }, response: currentSessionSchema,
    handler: ({ req }) => {
      const p = req.principal;
      if (p?.kind !== 'user') throw new Unauthorized();
      if (p.session) {
        const s = p.session;
        return { sub: s.sub, name: s.name, email: s.email, role: p.role, via: 'oidc' as const, expiresAt: new Date(s.expiresAt).toISOString(), csrfToken: s.csrfToken };
      }
      return { sub: p.sub, name: null, email: null, role: p.role, via: 'token' as const, expiresAt: p.exp === undefined ? null : new Date(p.exp * 1000).toISOString(), csrfToken: null };
    },
  }),
  route({
    method: 'get', path: '/api/sessions', summary: 'Open sessions of the admin UI, newest first (at most 500)',
    access: { permission: 'manageKeys' }, response: z.strictObject({ sessions: z.array(sessionViewSchema) }),
    handler: async (_i, { sessions }) => ({ sessions: await sessions.list() }),
  }),
  route({
    method: 'post', path: '/api/sessions/:id/revoke', summary: "End someone's session",
    description: 'Audited (`session.revoke`). The session gets 401 `session_ended` on its next request, on every replica, and its open admin streams close with 4401. 404 when no open session has that id.',
    access: { permission: 'manageKeys' }, response: sessionViewSchema,
    handler: ({ params, actor }, { sessions }) => sessions.revoke(actor, params.id!, 'ended by an admin'),
  }),
  route({
    method: 'get', path: '/api/auth/role-mapping', summary: 'The role mapping in use (OIDC_ROLE_CLAIM, OIDC_ROLE_MAP, OIDC_DEFAULT_ROLE)',
    access: { permission: 'manageKeys' }, response: roleMappingSchema,
    handler: (_i, { oidc }) => {
      const m = oidc?.mapping ?? NO_MAPPING;
      const provider = oidc ? { issuer: oidc.client.settings.issuer, name: oidc.name, reachable: !oidc.client.unreachable } : null;
      return { provider, claim: m.claim, map: { ...m.map }, defaultRole: m.defaultRole ?? null };
    },
  }),
  route({
    method: 'post', path: '/api/auth/role-mapping/test', summary: 'Which role a set of claims would get, and which rule matched',
    description: '`matched` is the map key that granted the role, "(default role)", or null when such a sign-in would be refused; `seen` lists the values of the role claim (a dotted path such as `realm_access.roles`).',
    access: { permission: 'manageKeys' }, body: claimsBody, response: roleDecisionSchema,
    example: { body: { claims: { sub: '00u1', email: 'pat@acme.com', groups: ['product', 'everyone'] } } },
    handler: ({ body }, { oidc }) => (oidc ? oidc.test(body.claims) : decideRole(NO_MAPPING, body.claims)),
  }),
  route({
    method: 'get', path: '/api/auth/providers', summary: 'How to sign in: the identity provider, if one is configured (no credentials needed)',
    description: 'The admin UI shows "Sign in with <name>" from this; `reachable` is false when the last attempt to reach the provider failed (the UI then points to the break-glass token).',
    access: { public: true }, response: z.strictObject({ oidc: z.strictObject({ name: z.string(), loginUrl: z.string(), reachable: z.boolean() }).nullable() }),
    handler: (_i, { oidc }) => {
      if (!oidc) return { oidc: null };
      // The answer is the last attempt's; a check older than 10 s is made again for the next caller.
      oidc.client.discover(10_000).catch(() => undefined);
      return { oidc: { name: oidc.name, loginUrl: '/auth/login', reachable: !oidc.client.unreachable } };
    },
  }),
];
