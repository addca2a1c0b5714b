import type { Response } from 'express';
import { z } from 'zod';
import { routeFor } from '../http/route.js';
import { cookieValue, FLOW_COOKIE, SESSION_COOKIE, setCookie } from './session-auth.js';
import { isUnreachable, localPath, type OidcSignIn } from './oidc-sign-in.js';
import { page, unreachableParagraphs } from './oidc-pages.js';

const route = routeFor<{ oidc?: OidcSignIn }>('auth');
const CALLBACK = '/auth/callback';
/** A bodiless redirect (express's own adds a text body the document does not describe). */
const redirect = (res: Response, to: string) => void res.status(302).set({ Location: to, 'Cache-Control': 'no-store' }).end();
const html = (res: Response, status: number, body: string) => void res.status(status).type('html').set('Cache-Control', 'no-store').send(body);

const notConfigured = (res: Response) =>
  html(res, 200, page('Sign-in with an identity provider is not set up', ['This server has no OIDC_ISSUER: sign in on the admin UI with a token (switchyard token).']));

const redirectHeaders = { Location: { description: 'Where the browser goes next', schema: { type: 'string' } } };

/** The browser's side of the sign-in: to the provider and back. Not under /api: the provider sends the browser here. */
export const oidcRoutes = [
  route({
    method: 'get', path: '/auth/login', summary: 'Sign in with the identity provider: a redirect to it',
    description: 'Redirects (302) to the provider with PKCE (S256), `state` and `nonce`; `?return=` is the local path to come back to. A page (503) when the provider is unreachable, naming the break-glass token; a page (200) saying so when no provider is configured.',
    access: { public: true }, produces: 'text/html',
    query: z.looseObject({ return: z.string().max(2000).optional() }),
    openapi: { responses: { '302': { description: 'To the identity provider', headers: redirectHeaders }, '503': { description: 'The provider is unreachable: a page naming the break-glass token', produces: 'text/html' } } },
    handler: async ({ query, res }, { oidc }) => {
      if (!oidc) return notConfigured(res);
      try {
        const { url, flow } = await oidc.start(localPath(query.return));
        setCookie(res, FLOW_COOKIE, oidc.sealer.seal(flow), { secure: oidc.secure, maxAgeSeconds: 600, path: CALLBACK });
        redirect(res, url.href);
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        html(res, 503, page('The identity provider is unreachable', unreachableParagraphs(oidc.client.settings.issuer)));
      }
    },
  }),
  route({
    method: 'get', path: CALLBACK, summary: 'Where the identity provider sends the browser back: opens the session',
    description: 'Exchanges the code (PKCE), checks the ID token (signature, `iss`, `aud`, `exp`, `nonce`) and `state`, maps the role claim (userinfo when the ID token lacks it) and sets the `sy_session` cookie, then redirects (302) to the return path. A page otherwise: 403 with the claim values seen when no rule maps them (audited `auth.login_refused`), 400 for a failed check, 503 when the provider is unreachable.',
    access: { public: true }, produces: 'text/html',
    openapi: {
      responses: {
        '302': { description: 'Signed in: back to the admin UI, with the session cookie', headers: redirectHeaders },
        '400': { description: 'A failed check (state, the code, the ID token) or a sign-in not started here: a page', produces: 'text/html' },
        '403': { description: 'No rule maps the role claim: a page listing the values seen', produces: 'text/html' },
        '503': { description: 'The provider is unreachable: a page naming the break-glass token', produces: 'text/html' },
      },
    },
    handler: async ({ req, res }, { oidc }) => {
      if (!oidc) return notConfigured(res);
      const flow = oidc.sealer.open(cookieValue(req.headers.cookie, FLOW_COOKIE));
      // One use: the flow cookie is cleared whatever happens, so a replayed callback finds none.
      setCookie(res, FLOW_COOKIE, '', { secure: oidc.secure, maxAgeSeconds: 0, path: CALLBACK });
      const search = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
      const r = await oidc.finish(search, flow, req.requestId);
      if (r.ok) {
        setCookie(res, SESSION_COOKIE, r.cookie, { secure: oidc.secure, maxAgeSeconds: oidc.sessions.settings.ttlSeconds });
        redirect(res, r.returnTo);
        return;
      }
      const paragraphs = r.status === 503 ? unreachableParagraphs(oidc.client.settings.issuer) : [r.message];
      html(res, r.status, page(r.title, paragraphs, r.seen && { caption: `Values of the "${r.seen.claim}" claim seen:`, items: r.seen.values }));
    },
  }),
  route({
    method: 'post', path: '/auth/logout', summary: 'Sign out: ends the session',
    description: 'Ends the session of the `sy_session` cookie (audited `auth.logout`; needs `X-CSRF-Token` and the admin UI\'s Origin) and clears the cookie. `endSessionUrl` is the provider\'s RP-initiated logout, where it offers one and a live session was ended: the UI goes there next. Without a session, only clears the cookie.',
    access: { public: true }, response: z.strictObject({ endSessionUrl: z.string().nullable() }),
    handler: async ({ req, res }, { oidc }) => {
      if (!oidc) return { endSessionUrl: null };
      let ended = false;
      if (oidc.auth.has(req)) {
        const p = await oidc.auth.principal(req, 'request').catch((err: { code?: string }) => {
          if (err.code === 'session_ended') return undefined;
          throw err;
        });
        if (p?.kind === 'user' && p.session) {
          await oidc.sessions.logout({ sub: p.sub, role: p.role, requestId: req.requestId }, p.session.id);
          ended = true;
        }
      }
      setCookie(res, SESSION_COOKIE, '', { secure: oidc.secure, maxAgeSeconds: 0 });
      return { endSessionUrl: ended ? oidc.client.endSessionUrl() : null };
    },
  }),
];
