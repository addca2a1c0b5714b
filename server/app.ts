import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { auditRoutes } from './audit/audit-routes.js';
import type { AuditCheckpoints } from './audit/audit-checkpoints.js';
import { checkpointRoutes } from './audit/checkpoint-routes.js';
import { actorOf, authenticate, requireRole, type Authenticator } from './auth/auth-middleware.js';
import { sdkKeyRoutes } from './auth/sdk-key-routes.js';
import { tokenRoutes } from './auth/token-routes.js';
import { oidcRoutes } from './auth/oidc-routes.js';
import { sessionRoutes } from './auth/session-routes.js';
import type { Db } from './storage/schema.js';
import { AppError, NotFound, errorHandler } from './errors.js';
import { flagRoutes } from './flags/flag-routes.js';
import { environmentRoutes, scopedCopies } from './environments/environment-routes.js';
import { mount, type Guards } from './http/mount.js';
import { VALIDATE_RESPONSES, responseValidator } from './http/response-validator.js';
import type { Route } from './http/route.js';
import { killRoutes } from './killswitch/kill-routes.js';
import type { Logger } from './log.js';
import { pushRoutes } from './push/push-routes.js';
import { sampleBodyParser, sampleRoutes } from './samples/sample-routes.js';
import { DEFAULT_INGEST_IN_FLIGHT, ingestAdmission } from './samples/sample-admission.js';
import { rolloutRoutes } from './rollout/rollout-routes.js';
import { promotionRoutes } from './rollout/promotion-routes.js';
import type { Services } from './services.js';
import { telemetryRoutes } from './telemetry/telemetry-routes.js';
import { openApiDocument } from './openapi/openapi-document.js';
import { openApiRoutes } from './openapi/openapi-routes.js';
import { CROSS_ORIGIN_PATHS, crossOrigin, ofrepEdge, ofrepErrors } from './ofrep/ofrep-http.js';
import { ofrepRoutes } from './ofrep/ofrep-routes.js';
import type { Prometheus } from './observability/metrics.js';
import { healthRoutes, scrapeRoutes, type ObservabilityDeps } from './observability/metrics-routes.js';
import type { Health } from './observability/health.js';
import { drainGate } from './drain.js';

/** What the handlers of the route table are given: the services, and the optional parts of the server. */
export type RouteDeps = Services & ObservabilityDeps & { checkpoints?: AuditCheckpoints; routes: readonly Route<never>[] };

/**
 * Every HTTP route, as data, one list per domain: mounted by `mount()`, documented by the
 * OpenAPI document, and the Prometheus `route` label. The order is the order of the document
 * (and of its examples, which test/openapi.test.ts replays: metric samples before the advance they gate).
 */
export const routeTable: readonly Route<RouteDeps>[] = [
  ...environmentRoutes,
  ...flagRoutes,
  ...killRoutes,
  ...pushRoutes,
  ...ofrepRoutes,
  ...telemetryRoutes,
  ...sampleRoutes,
  ...rolloutRoutes,
  // The environment-scoped copies of the flag routes (issue 23): /api/envs/:env/flags/:key/...
  ...scopedCopies<RouteDeps>([...flagRoutes, ...sampleRoutes, ...killRoutes, ...pushRoutes, ...telemetryRoutes, ...rolloutRoutes]),
  // Promotion between environments and the compare board (its example promotes production's plan into staging).
  ...promotionRoutes,
  ...auditRoutes,
  ...checkpointRoutes,
  ...sdkKeyRoutes,
  ...tokenRoutes,
  ...sessionRoutes,
  ...oidcRoutes,
  ...healthRoutes,
  ...scrapeRoutes,
  ...openApiRoutes,
];

export interface AppDeps {
  db: Db;
  services: Services;
  authenticator: Authenticator;
  log: Logger;
  /** Built admin UI to serve at `/`, if present. */
  adminUiDir?: string;
  /** Prometheus metrics: request figures, and `GET /metrics` for scrapers. */
  prometheus?: Prometheus;
  metricsToken?: string;
  /** Signed audit checkpoints, served at `GET /api/audit/checkpoints`. */
  checkpoints?: AuditCheckpoints;
  /** What /readyz reports: database writable, DATA_DIR lock held. Without it, a `select 1`. */
  health?: Health;
  /** Browser origins allowed cross-origin access to the OFREP routes and GET /sdk/flags (ALLOWED_ORIGINS). */
  allowedOrigins?: readonly string[];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Request ids are the server's own (a new UUID each), so two callers can never share one in
 * the audit trail; a client's X-Request-Id is kept as `clientRequestId` beside it.
 */
const requestId: RequestHandler = (req, res, next) => {
  const given = req.headers['x-request-id'];
  req.requestId = crypto.randomUUID();
  if (typeof given === 'string' && REQUEST_ID.test(given)) req.clientRequestId = given;
  res.setHeader('X-Request-Id', req.requestId);
  next();
};

/**
 * One log line per request: id, method, path (never the query or headers, so no credential
 * can land in a log), status, duration, and who.
 */
function accessLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const p = req.principal;
      log.info(
        {
          requestId: req.requestId,
          clientRequestId: req.clientRequestId,
          method: req.method,
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - start) / 1e6,
          actor: p === undefined ? undefined : p.kind === 'user' ? p.sub : p.kind === 'sdk' ? `sdk:${p.name}` : p.sub,
        },
        'request',
      );
    });
    next();
  };
}

/** A body must be JSON; anything else is a 415 before it is read. */
const jsonOnly: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) {
    next(new AppError(415, 'unsupported_media_type', 'request bodies must be JSON: send "Content-Type: application/json"'));
    return;
  }
  next();
};

/** Builds the express app without listening: tests and main.ts both start it. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId);
  // Tests: every answer is held to the OpenAPI document (server/http/response-validator.ts).
  if (process.env[VALIDATE_RESPONSES] === '1') app.use(responseValidator(() => openApiDocument(routeTable), deps.log));
  app.use(accessLog(deps.log));
  // SIGTERM's drain: new requests get 503 shutting_down (server/drain.ts); health checks still answer.
  app.use(drainGate(() => deps.health?.shuttingDown ?? false));
  const routeDeps: RouteDeps = {
    ...deps.services,
    db: deps.db,
    health: deps.health,
    prometheus: deps.prometheus,
    authenticator: deps.authenticator,
    metricsToken: deps.metricsToken,
    checkpoints: deps.checkpoints,
    routes: routeTable,
  };
  const guards: Guards = { requireRole, actorOf };
  const outside = routeTable.filter((r) => !r.path.startsWith('/api/'));
  const inside = routeTable.filter((r) => r.path.startsWith('/api/'));
  if (deps.prometheus) app.use(deps.prometheus.httpMiddleware());
  mount(app, outside.filter((r) => 'scrape' in r.access), routeDeps, guards);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'script-src': ["'self'"],
          'connect-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          // Switchyard is often served over plain HTTP on a private network: upgrading the
          // UI's own requests to https there would leave a blank page.
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );

  // Health, and the SDK's HTTP snapshot outside /api (SDK keys only, ETag/304); CORS and OFREP's edge first.
  app.use(CROSS_ORIGIN_PATHS, crossOrigin(deps.allowedOrigins ?? []));
  app.use('/ofrep', ...ofrepEdge());
  mount(app, outside.filter((r) => !('scrape' in r.access)), routeDeps, { ...guards, authenticate: authenticate(deps.authenticator) });
  app.use('/ofrep', ofrepErrors(deps.log));

  const api = express.Router();
  mount(api, inside.filter((r) => 'public' in r.access), routeDeps, guards, '/api'); // GET /api/openapi.json documents, it reveals nothing
  // Who is calling is settled before any body is read: an anonymous or refused caller costs
  // no parsing. Metric batches then get a larger body limit; the parser below skips the read body.
  // A batch is counted against INGEST_MAX_IN_FLIGHT once its body has arrived: a reporter that
  // sends half a body and hangs holds no slot (sample-admission.ts).
  api.use(authenticate(deps.authenticator));
  api.use('/metrics', jsonOnly, sampleBodyParser, ingestAdmission(deps.services.samples.limits.inFlight ?? DEFAULT_INGEST_IN_FLIGHT));
  api.use(jsonOnly, express.json({ limit: '64kb', strict: true }));
  mount(api, inside.filter((r) => !('public' in r.access)), routeDeps, guards, '/api');
  api.use((req, _res, next) => next(new NotFound(`no route ${req.method} /api${req.path}`)));
  app.use('/api', api);

  if (deps.adminUiDir && fs.existsSync(path.join(deps.adminUiDir, 'index.html'))) {
    app.use(express.static(deps.adminUiDir, { index: 'index.html', maxAge: 0 }));
  }
  app.use((req, _res, next) => next(new NotFound(`no route ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.log, deps.health && ((code) => deps.health!.writeRefused(code))));
  return app;
}
