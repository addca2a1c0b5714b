import crypto from 'node:crypto';
import { Router } from 'express';
import { sql } from 'kysely';
import { z } from 'zod';
import { bearer, type Authenticator } from '../auth/auth-middleware.js';
import { CAN } from '../auth/roles.js';
import type { Db } from '../storage/schema.js';
import { Forbidden, Unauthorized, Unavailable } from '../errors.js';
import { routeFor } from '../http/route.js';
import type { Health } from './health.js';
import type { Prometheus } from './metrics.js';

/** `{ok: true}`: what a health probe answers when it holds (a 503 with the one error body otherwise). */
const okSchema = z.strictObject({ ok: z.literal(true) });
/** `/readyz`: ready, with what an operator should look at that does not stop serving (an audit checkpoint refused). */
const readySchema = okSchema.extend({ warnings: z.array(z.string()).optional() });

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** What observability needs: the database and readiness checks, and (when configured) Prometheus. */
export interface ObservabilityDeps {
  db: Db;
  health?: Health;
  prometheus?: Prometheus;
  authenticator: Authenticator;
  metricsToken?: string;
}

const route = routeFor<ObservabilityDeps>('observability');

/**
 * `GET /metrics` on the main listener (mounted when Prometheus metrics are on): never open by
 * accident. It takes the scrape token (METRICS_TOKEN) or any reader's user token; with neither it is a 401.
 */
export const scrapeRoutes = [
  route({
    method: 'get', path: '/metrics', summary: 'Prometheus metrics', access: { scrape: true },
    description: 'Takes METRICS_TOKEN as a bearer token, or a reader-role user token; or serve it unauthenticated on a private METRICS_LISTEN address instead.',
    produces: 'text/plain', when: (d) => d.prometheus !== undefined,
    handler: async ({ req, res }, { prometheus, authenticator: auth, metricsToken: scrapeToken }) => {
      const presented = bearer(req.headers.authorization);
      if (!(scrapeToken && presented && sameSecret(presented, scrapeToken))) {
        if (!presented) throw new Unauthorized('metrics need a bearer token: METRICS_TOKEN, or a reader role user token');
        const p = await auth.authenticate(presented, auth.addressOf(req));
        if (p.kind !== 'user' || !(CAN.read as readonly string[]).includes(p.role)) throw new Forbidden('metrics are for reader roles');
      }
      res.setHeader('Content-Type', prometheus!.registry.contentType);
      res.send(await prometheus!.registry.metrics());
    },
  }),
];

/** Liveness and readiness, for load balancers and orchestrators (public). */
export const healthRoutes = [
  route({
    method: 'get', path: '/healthz', summary: 'The process is up', access: { public: true }, response: okSchema,
    handler: () => ({ ok: true as const }),
  }),
  route({
    method: 'get', path: '/readyz', summary: 'Ready: the database takes writes, this server holds its DATA_DIR lock, is caught up with the change stream and is not shutting down (503 + Retry-After when not)',
    access: { public: true }, response: readySchema,
    handler: async (_input, { db, health }) => {
      if (health?.shuttingDown) {
        const r = await health.check();
        throw new Unavailable(`not ready: ${r.problems.join('; ')}`, 5, 'not_ready', { problems: r.problems });
      }
      try {
        await sql`select 1`.execute(db);
      } catch {
        throw new Unavailable('the database is not answering', 5, 'not_ready');
      }
      const r = health ? await health.check() : { ok: true, problems: [] };
      if (!r.ok) throw new Unavailable(`not ready: ${r.problems.join('; ')}`, 5, 'not_ready', { problems: r.problems, warnings: r.warnings });
      return r.warnings ? { ok: true as const, warnings: r.warnings } : { ok: true as const };
    },
  }),
];

/** The same metrics with no auth, for a separate listener on a private address (METRICS_LISTEN). */
export function openMetricsRoutes(prometheus: Prometheus): Router {
  const r = Router();
  r.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', prometheus.registry.contentType);
    res.send(await prometheus.registry.metrics());
  });
  return r;
}
