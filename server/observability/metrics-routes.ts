import crypto from 'node:crypto';
import { Router } from 'express';
import { bearer, type Authenticator } from '../auth/auth-middleware.js';
import { CAN } from '../auth/roles.js';
import { Forbidden, Unauthorized } from '../errors.js';
import type { Metrics } from './metrics.js';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/**
 * `GET /metrics` on the main listener: never open by accident. It takes the scrape token
 * (METRICS_TOKEN) or any reader's user token; with neither it is a 401.
 */
export function metricsRoutes(metrics: Metrics, auth: Authenticator, scrapeToken: string | undefined): Router {
  const r = Router();
  r.get('/metrics', async (req, res) => {
    const presented = bearer(req.headers.authorization);
    if (!(scrapeToken && presented && sameSecret(presented, scrapeToken))) {
      if (!presented) throw new Unauthorized('metrics need a bearer token: METRICS_TOKEN, or a reader role user token');
      const p = await auth.authenticate(presented, auth.addressOf(req));
      if (p.kind !== 'user' || !(CAN.read as readonly string[]).includes(p.role)) throw new Forbidden('metrics are for reader roles');
    }
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return r;
}

/** The same metrics with no auth, for a separate listener on a private address (METRICS_LISTEN). */
export function openMetricsRoutes(metrics: Metrics): Router {
  const r = Router();
  r.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return r;
}
