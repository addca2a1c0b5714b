import crypto from 'node:crypto';
import type http from 'node:http';
import type { Response } from 'express';
import type { Principal } from '../actor.js';
import { Forbidden, Unauthorized } from '../errors.js';
import { isRole } from './roles.js';
import { actorName, type SessionService } from './session-service.js';

/** The session cookie: an opaque random id (only its hash is stored). */
export const SESSION_COOKIE = 'sy_session';
/** The sealed login flow, sent back only to the callback. */
export const FLOW_COOKIE = 'sy_oidc_flow';
/** The header a cookie-authenticated change carries its CSRF token in (`csrfToken` of GET /api/session). */
export const CSRF_HEADER = 'x-csrf-token';

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** Sets (maxAgeSeconds > 0) or clears (0) a cookie: HttpOnly, SameSite=Lax, Secure when PUBLIC_URL is https. */
export function setCookie(res: Response, name: string, value: string, o: { secure: boolean; maxAgeSeconds: number; path?: string }): void {
  const parts = [`${name}=${value}`, `Path=${o.path ?? '/'}`, `Max-Age=${o.maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax'];
  if (o.secure) parts.push('Secure');
  res.append('Set-Cookie', parts.join('; '));
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Turns a session cookie into a principal. A cookie-authenticated change (any method but
 * GET/HEAD/OPTIONS) must come from PUBLIC_URL's origin (the Origin header, else the Referer's)
 * and carry the session's CSRF token in X-CSRF-Token; a browser stream must come from that
 * origin. Bearer-token calls never come here.
 */
export class SessionAuth {
  readonly origin: string;

  constructor(
    private readonly sessions: SessionService,
    publicUrl: string,
  ) {
    this.origin = new URL(publicUrl).origin;
  }

  /** Whether the request carries a session cookie. */
  has(req: http.IncomingMessage): boolean {
    return cookieValue(req.headers.cookie, SESSION_COOKIE) !== undefined;
  }

  async principal(req: http.IncomingMessage, use: 'request' | 'stream'): Promise<Principal> {
    const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (!cookie || cookie.length > 200) throw new Unauthorized('no session: sign in again', 'session_ended');
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = originOf(req);
    if (use === 'stream' ? origin !== undefined && origin !== this.origin : !SAFE.has(method) && origin !== this.origin) {
      throw new Forbidden(`a change made with a session cookie must come from the admin UI at ${this.origin} (Origin was ${origin ?? 'missing'})`, undefined, 'cross_origin_refused');
    }
    const row = await this.sessions.resolve(cookie);
    const csrfToken = this.sessions.csrfToken(cookie);
    if (use === 'request' && !SAFE.has(method) && !sameToken(headerOf(req, CSRF_HEADER), csrfToken)) {
      throw new Forbidden('a change made with a session cookie needs the X-CSRF-Token header (csrfToken of GET /api/session)', undefined, 'csrf_refused');
    }
    if (!isRole(row.role)) throw new Unauthorized('the session holds no known role: sign in again', 'session_ended');
    return {
      kind: 'user',
      sub: actorName(row),
      role: row.role,
      // The admin stream's recheck asks the session store about this one (server/push/stream-revocations.ts).
      jti: sessionJti(row.id),
      exp: Math.floor(row.expires_at / 1000),
      session: { id: row.id, sub: row.sub, name: row.name, email: row.email, expiresAt: row.expires_at, csrfToken },
    };
  }
}

const JTI_PREFIX = 'session:';
/** The `jti` a session's principal carries, so the stream revocation path can tell it from a token. */
export const sessionJti = (id: string) => JTI_PREFIX + id;
/** The session id behind a `jti`, or undefined for a token's. */
export const sessionOfJti = (jti: string | undefined) => (jti?.startsWith(JTI_PREFIX) ? jti.slice(JTI_PREFIX.length) : undefined);

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function originOf(req: http.IncomingMessage): string | undefined {
  const o = headerOf(req, 'origin');
  if (o !== undefined) return o;
  const ref = headerOf(req, 'referer');
  if (ref === undefined || !URL.canParse(ref)) return undefined;
  return new URL(ref).origin;
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
