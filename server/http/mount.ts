import type { Request, RequestHandler, Router } from 'express';
import type { Permission } from '@switchyard-flags/sdk/api';
import type { Actor } from '../actor.js';
import { Forbidden, ValidationError } from '../errors.js';
import { parse } from '../validation.js';
import type { Access, Route } from './route.js';

/**
 * The access checks, given by the app (so this folder depends on no domain): `requireRole`
 * for a permission, `authenticate` where no earlier middleware settled the caller.
 */
export interface Guards {
  requireRole(permission: Permission): RequestHandler;
  actorOf(req: Request): Actor;
  authenticate?: RequestHandler;
}

function sdkKeyOnly(r: Route<never>): RequestHandler {
  const message = `${r.method.toUpperCase()} ${r.path} takes an SDK key (sy_sdk_...), not a user token`;
  return (req, _res, next) => next(req.principal?.kind === 'sdk' ? undefined : new Forbidden(message));
}

function accessChecks(r: Route<never>, access: Access, guards: Guards): RequestHandler[] {
  const auth = guards.authenticate ? [guards.authenticate] : [];
  if ('permission' in access) return [...auth, guards.requireRole(access.permission)];
  if ('sdkKey' in access) return [...auth, sdkKeyOnly(r)];
  return []; // public, or a scrape (the handler takes METRICS_TOKEN or a reader's token)
}

/** Labels the request with its route's path (the Prometheus `route` label), before any check can fail. */
const label =
  (path: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.route = path;
    next();
  };

/**
 * Registers each route on `router` (mounted at `prefix`, e.g. `/api`): the route label, the
 * access check, then the handler with the body and query parsed by the route's schemas
 * (a 400 naming every bad field otherwise) and its result sent with the route's status.
 */
export function mount<D>(router: Router, routes: readonly Route<D>[], deps: D, guards: Guards, prefix = ''): void {
  for (const r of routes) {
    if (r.when && !r.when(deps)) continue;
    if (!r.path.startsWith(prefix)) throw new Error(`mount: ${r.path} is not under ${prefix}`);
    const handle: RequestHandler = async (req, res) => {
      const params = req.params as Record<string, string>;
      // No key holds a NUL, and PostgreSQL refuses one in any text value (a 500 there, not a 400).
      for (const [name, value] of Object.entries(params)) {
        if (value.includes('\u0000')) throw new ValidationError(`the path parameter ${name} holds a NUL character (%00), which no ${name} can contain`, undefined, 'invalid_path');
      }
      const body = r.body ? parse(r.chooseBody?.(req.body) ?? r.body, req.body) : req.body;
      const query = r.query ? parse(r.query, req.query, 'query') : req.query;
      const input = {
        body,
        query,
        params,
        req,
        res,
        get actor() {
          return guards.actorOf(req);
        },
      };
      const out = await r.handler(input, deps);
      if (res.headersSent) return;
      res.status(r.status ?? 200).json(out);
    };
    router[r.method](r.path.slice(prefix.length) || '/', label(r.path), ...accessChecks(r as Route<never>, r.access, guards), handle);
  }
}
