import type http from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Db } from '../storage/schema.js';
import { Forbidden, Unauthorized } from '../errors.js';
import { CAN, type Permission } from './roles.js';
import type { Actor, Principal } from '../actor.js';
import { findSdkKey, looksLikeSdkKey } from './sdk-keys.js';
import type { AuthLimiter } from './auth-limiter.js';
import type { VerifiedUser } from './tokens.js';
import { isRevoked, type TokenClaims } from './token-revocations.js';
import type { SessionAuth } from './session-auth.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The server's own id for this request: always a new UUID. */
    requestId: string;
    /** What the client sent as X-Request-Id (when it is a sane id), kept apart from ours. */
    clientRequestId?: string;
    principal?: Principal;
  }
}

export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

export interface Authenticator {
  /**
   * Resolves a bearer credential to a principal, or throws Unauthorized. With an address,
   * repeated failures are refused with TooManyAuthFailures (429); a credential that
   * verifies is never refused for anyone else's failures.
   */
  authenticate(token: string | undefined, address?: string): Promise<Principal>;
  /** The client address the limiter counts for this request (X-Forwarded-For only from TRUST_PROXY). */
  addressOf(req: http.IncomingMessage): string;
  /** Session cookies of the admin UI (OIDC sign-in); undefined when no identity provider is configured. */
  session?: SessionAuth;
}

export function createAuthenticator(
  db: Db,
  verifyUser: (token: string) => Promise<VerifiedUser>,
  limiter?: AuthLimiter,
  addressOf: (req: http.IncomingMessage) => string = (req) => req.socket.remoteAddress ?? 'unknown',
  /** The server passes its in-memory RevocationList, so a request's token costs no database read. */
  revoked: (claims: TokenClaims) => Promise<boolean> = (claims) => isRevoked(db, claims),
  session?: SessionAuth,
): Authenticator {
  const resolve = async (token: string | undefined): Promise<Principal> => {
    if (!token) throw new Unauthorized('missing bearer token: send "Authorization: Bearer <token>"');
    if (looksLikeSdkKey(token)) {
      const key = await findSdkKey(db, token);
      if (!key) throw new Unauthorized('unknown or revoked SDK key', 'invalid_sdk_key');
      return { kind: 'sdk', keyId: key.id, name: key.name, keyKind: key.kind, environment: key.environment, ...(key.secure_secret ? { secureSecret: key.secure_secret } : {}) };
    }
    const user = await verifyUser(token);
    if (await revoked(user)) throw new Unauthorized('token has been revoked: ask an admin for a new one', 'token_revoked');
    return { kind: 'user', sub: user.sub, role: user.role, jti: user.jti, iat: user.iat, exp: user.exp, ...(user.flags ? { flags: user.flags } : {}), ...(user.envs ? { envs: user.envs } : {}) };
  };
  return {
    addressOf,
    session,
    async authenticate(token, address) {
      if (address !== undefined && limiter) {
        // Cheap refusals first, before any lookup: nothing presented from an address over the
        // limit, or a credential that has itself failed too often.
        if (token === undefined) limiter.refuseAnonymous(address);
        else limiter.refuseCredential(token);
      }
      try {
        return await resolve(token);
      } catch (err) {
        if (address !== undefined && err instanceof Unauthorized) await limiter?.fail(address, token);
        throw err;
      }
    },
  };
}

/**
 * Authenticates every request below it; the principal lands on `req.principal`. A bearer token
 * wins; without one, the admin UI's session cookie (with its Origin and CSRF checks for changes).
 */
export function authenticate(auth: Authenticator): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = bearer(req.headers.authorization);
    const found = token === undefined && auth.session?.has(req) ? auth.session.principal(req, 'request') : auth.authenticate(token, auth.addressOf(req));
    found.then(
      (p) => {
        req.principal = p;
        next();
      },
      next,
    );
  };
}

/** Allows the request only to users whose role holds `permission`. SDK keys never pass. */
export function requireRole(permission: Permission): RequestHandler {
  const allowed: readonly string[] = CAN[permission];
  return (req, _res, next) => {
    const p = req.principal;
    if (!p || p.kind !== 'user') {
      next(new Forbidden('SDK keys can only read flag state (GET /sdk/flags and the /sdk/stream websocket)'));
      return;
    }
    if (!allowed.includes(p.role)) {
      next(new Forbidden(`role "${p.role}" cannot do this; it needs one of: ${allowed.join(', ')}`, { required: allowed, role: p.role }));
      return;
    }
    next();
  };
}

/** The acting user, for services and the audit trail. Only call behind requireRole. */
export function actorOf(req: Request): Actor {
  const p = req.principal;
  if (!p || p.kind !== 'user') throw new Forbidden('a user token is required');
  return { sub: p.sub, role: p.role, requestId: req.requestId, clientRequestId: req.clientRequestId ?? null, ...(p.flags ? { flags: p.flags } : {}), ...(p.envs ? { envs: p.envs } : {}) };
}
