import { Router, type RequestHandler } from 'express';
import { authenticate, requireRole, type Authenticator } from '../auth/auth-middleware.js';
import { Forbidden, NotFound } from '../errors.js';
import type { PushState } from './push-state.js';

/** `GET /flags/:key/propagation` (under /api): how far the flag's latest change has reached. */
export function propagationRoutes(push: PushState): Router {
  const r = Router();
  r.get('/flags/:key/propagation', requireRole('read'), async (req, res) => {
    await push.start();
    const key = req.params.key as string;
    const figures = push.tracker.of(key);
    if (!figures) throw new NotFound(`flag "${key}" does not exist`);
    res.json(figures);
  });
  return r;
}

const sdkKeyOnly: RequestHandler = (req, _res, next) => {
  next(req.principal?.kind === 'sdk' ? undefined : new Forbidden('GET /sdk/flags takes an SDK key (sy_sdk_...), not a user token'));
};

/** `"7"` matches `If-None-Match: "7"`, `W/"7"`, a list holding either, or `*`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/**
 * `GET /sdk/flags` (outside /api, SDK key only): the snapshot the stream would send, for
 * bootstrap, polling fallback and curl. `ETag: "<version>"`; 304 when unchanged.
 */
export function sdkFlagRoutes(push: PushState, authenticator: Authenticator): Router {
  const r = Router();
  r.get('/sdk/flags', authenticate(authenticator), sdkKeyOnly, async (req, res) => {
    await push.start();
    const snapshot = push.feed.snapshot();
    const etag = `"${snapshot.version}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('Vary', 'Authorization');
    if (matches(req.headers['if-none-match'], etag)) {
      res.status(304).end();
      return;
    }
    res.json(snapshot);
  });
  return r;
}
