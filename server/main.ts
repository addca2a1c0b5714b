import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.js';
import { AuditCheckpoints } from './audit/audit-checkpoints.js';
import { loadOrCreateCheckpointKey } from './audit/checkpoint-key.js';
import { gateOf } from './write-gate.js';
import { createAuthenticator } from './auth/auth-middleware.js';
import { AuthFailureLimiter } from './auth/auth-limiter.js';
import { clientAddressResolver, parseTrustedProxies } from './auth/client-address.js';
import { createTokenVerifier, issueToken, loadOrCreateSecret } from './auth/tokens.js';
import { RevocationList } from './auth/revocation-list.js';
import { LocalChangeBus, type ChangeBus } from './changes.js';
import { systemClock, type Clock } from './clock.js';
import { ConfigError, type Config } from './config.js';
import express from 'express';
import { Metrics } from './observability/metrics.js';
import { Health } from './observability/health.js';
import { openMetricsRoutes } from './observability/metrics-routes.js';
import { checkpointWal, dataVersion, disableAutoCheckpoint, migrate, openDb, type OpenedDb } from './db.js';
import { loadOrCreateWebhookSecret } from './rollout/webhook-signature.js';
import { checkIntegrity, lockDataDir, prepareDataDir } from './data-dir.js';
import { showBootstrapToken } from './bootstrap-token.js';
import { createLogger, type Logger } from './log.js';
import { attachPushServer, type PushServer } from './push/push-server.js';
import { ConnectionGuard } from './push/connection-guard.js';
import { createServices, type Services } from './services.js';

export interface StartOptions {
  config: Config;
  clock?: Clock;
  log?: Logger;
  /** Print the first-start banner with the bootstrap admin token (the CLI does; tests read `bootstrapToken`). */
  printBanner?: boolean;
}

export interface RunningServer {
  config: Config;
  url: string;
  port: number;
  server: http.Server;
  opened: OpenedDb;
  services: Services;
  bus: ChangeBus;
  log: Logger;
  secret: Uint8Array;
  /** The websocket streams (/sdk/stream, /api/stream). */
  push: PushServer;
  /** Signed audit checkpoints (the key file is config.checkpointKeyFile). */
  checkpoints: AuditCheckpoints;
  /** Set on the very first start of a data dir only. */
  bootstrapToken?: string;
  close(): Promise<void>;
}

/** Where the built admin UI lives, relative to this module both in source and in dist/. */
function adminUiDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.basename(here) === 'dist' ? path.join(here, 'admin-ui') : path.join(here, '..', 'dist', 'admin-ui');
}

/** env -> open db -> migrate -> services -> app -> listen. */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config } = opts;
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  if (config.databaseUrl) {
    // Serving from SQLite while the operator asked for PostgreSQL would split the fleet silently.
    throw new ConfigError('DATABASE_URL is set, but serving from PostgreSQL is not available yet (only the schema runs there); unset DATABASE_URL to serve from SQLite in DATA_DIR');
  }
  if (config.jwksUrl && !config.jwtIssuer) {
    throw new ConfigError('JWKS_URL is set without JWT_ISSUER: set JWT_ISSUER to the identity provider\'s issuer, or any token its keys signed would be accepted');
  }
  const trustedProxies = parseTrustedProxies(config.trustProxy);
  prepareDataDir(config.dataDir, config.dbFile);
  const lock = lockDataDir(config.dataDir);
  let opened: OpenedDb;
  let secret: Uint8Array;
  let created: boolean;
  let checkpointKey: ReturnType<typeof loadOrCreateCheckpointKey>;
  try {
    ({ secret, created } = loadOrCreateSecret(config.dataDir));
    checkpointKey = loadOrCreateCheckpointKey(config.checkpointKeyFile);
    opened = openDb(config.dbFile);
  } catch (err) {
    lock.release();
    throw err;
  }
  try {
    checkIntegrity(opened, config.dbFile);
    const applied = await migrate(opened.db);
    if (applied.length) log.info({ migrations: applied }, 'database migrated');
  } catch (err) {
    await opened.close();
    lock.release();
    throw err;
  }
  if (checkpointKey.created) log.info({ file: config.checkpointKeyFile, keyId: checkpointKey.key.keyId }, 'audit checkpoint key created; keep a copy of its public key (GET /api/audit/checkpoints) off this host');
  if (checkpointKey.warning) log.warn({ file: config.checkpointKeyFile }, checkpointKey.warning);
  const bus = new LocalChangeBus();
  const metrics = new Metrics();
  const unwatch = metrics.watch(bus);
  const health = new Health({ db: opened.db, lockHeld: lock.held });
  metrics.sources.dbWritable = () => health.dbWritable;
  metrics.sources.lockHeld = lock.held;
  const revocations = new RevocationList(opened.db, () => dataVersion(opened));
  await revocations.load();
  const services = createServices({
    revocations,
    db: opened.db,
    clock,
    bus,
    log,
    webhookUrl: config.webhookUrl,
    webhookSecret: loadOrCreateWebhookSecret(config.dataDir, config.webhookSecret),
    webhookAllow: config.webhookAllow,
    observeWrite: (s) => {
      metrics.dbWriteDuration.observe(s);
      health.writeSucceeded();
    },
    sampleLimits: { namesPerFlag: config.metricNamesPerFlag, samplesPerSecond: config.metricsRateLimit },
    retentionDays: config.retentionDays,
    telemetryEvalsPerSecond: config.telemetryMaxEvalsPerSecond,
    eventStreamsPerKey: config.maxConnectionsPerKey,
    onTelemetryRefused: (reason, n) => metrics.telemetryRefused.inc({ reason }, n),
  });
  const verifyUser = createTokenVerifier({
    secret,
    jwksUrl: config.jwksUrl,
    jwksIssuer: config.jwtIssuer,
    jwksAudience: config.jwtAudience,
    roleClaim: config.jwtRoleClaim,
    maxTtlSeconds: config.maxTokenTtlSeconds,
    metricsMaxTtlSeconds: config.metricsTokenMaxTtlSeconds,
  });
  const checkpoints = new AuditCheckpoints({ db: opened.db, clock, key: checkpointKey.key, log, every: config.checkpointEvery });
  const detachCheckpoints = await checkpoints.attach(bus);
  const authenticator = createAuthenticator(
    opened.db,
    verifyUser,
    new AuthFailureLimiter(config.authFailureLimit),
    clientAddressResolver(trustedProxies),
    (claims) => revocations.isRevoked(claims),
  );
  const app = createApp({ db: opened.db, services, authenticator, log, adminUiDir: adminUiDir(), metrics, metricsToken: config.metricsToken, checkpoints, health, allowedOrigins: config.allowedOrigins });
  await services.push.start();
  // Timeouts a flag API needs (seconds, not minutes), checked every second, and a connection
  // cap that evicts idle sockets first (server/push/connection-guard.ts).
  const server = http.createServer({ connectionsCheckingInterval: 1000 }, app);
  server.headersTimeout = config.headersTimeoutSeconds * 1000;
  server.requestTimeout = config.requestTimeoutSeconds * 1000;
  server.keepAliveTimeout = config.keepAliveTimeoutSeconds * 1000;
  const connections = new ConnectionGuard(server, { maxConnections: config.maxConnections, onEvict: () => metrics.connectionsEvicted.inc() });
  metrics.sources.httpConnections = () => connections.size;
  const push = attachPushServer(server, {
    config,
    authenticator,
    push: services.push,
    bus,
    log,
    onFanout: (s) => metrics.pushFanout.observe(s),
    telemetry: services.telemetry,
    isRevoked: (claims) => revocations.isRevoked(claims),
  });
  metrics.sources.sdkConnections = () => push.sdk.size;
  metrics.sources.unacknowledged = () => unacknowledgedByFlag(services);
  metrics.sources.clockSkewSeconds = () => services.clock.skewMs() / 1000;
  let metricsServer: http.Server | undefined;
  try {
    metricsServer = config.metricsListen ? await listenMetrics(config.metricsListen, metrics, log) : undefined;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    // A port in use: leave nothing behind (this process may try again), the DATA_DIR lock included.
    metricsServer?.close();
    await push.close();
    unwatch();
    await opened.close();
    lock.release();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info({ url, dataDir: config.dataDir }, `switchyard listening on ${url}`);

  let bootstrapToken: string | undefined;
  if (created) {
    bootstrapToken = await issueToken(secret, 'bootstrap-admin', 'admin', 24 * 3600);
    if (opts.printBanner) showBootstrapToken(config, config.publicUrl ?? url, bootstrapToken, log);
  }

  // Auto-advance: every 30 s on an unref'd timer (tests call services.scheduler.tick() with their own clock).
  const stopScheduler = services.scheduler.start(30_000);
  const stopCheckpoints = checkpointInBackground(opened);
  const stopAuditCheckpoints = checkpoints.start(config.checkpointIntervalMs);
  // Evaluation telemetry: counts summed in memory, written in one transaction every 5 s and on close.
  const stopTelemetry = services.telemetry.start(5_000);
  // Retention: raw samples and telemetry past RETENTION_DAYS pruned every 10 minutes, in small non-urgent batches.
  const stopRetention = services.retention.start(10 * 60_000);

  let closing: Promise<void> | undefined;
  return {
    config,
    url,
    port,
    server,
    opened,
    services,
    bus,
    log,
    secret,
    push,
    checkpoints,
    bootstrapToken,
    close() {
      closing ??= (async () => {
        // Stop listening first: no new connection or upgrade arrives while the rest shuts down.
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await stopScheduler();
        stopCheckpoints();
        unwatch();
        if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
        await push.close();
        await stopRetention();
        services.ofrep.close(); // OFREP event streams end; counts held since the last second go into the final telemetry flush
        await stopTelemetry();
        detachCheckpoints();
        await stopAuditCheckpoints();
        server.closeAllConnections();
        await stopped;
        await opened.close();
        lock.release();
      })();
      return closing;
    },
  };
}

/**
 * SQLite checkpoints the WAL inside whichever commit crosses the threshold, so under a flood
 * of metric batches a kill's commit could pay for copying megabytes. The server checkpoints
 * on a timer instead, through the write gate, where a kill waiting goes first.
 */
function checkpointInBackground(opened: OpenedDb, everyMs = 1000): () => void {
  disableAutoCheckpoint(opened);
  const timer = setInterval(() => {
    gateOf(opened.db)
      .run(false, async () => checkpointWal(opened))
      .catch(() => {
        // A busy or failed checkpoint is retried on the next tick; the WAL keeps every change meanwhile.
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Pending acknowledgements of each live flag's latest change, read at scrape time. */
function* unacknowledgedByFlag(services: Services): Iterable<[string, number]> {
  for (const f of services.push.feed.snapshot().flags) {
    const p = services.push.tracker.of(f.key);
    if (p) yield [f.key, p.pending];
  }
}

/** METRICS_LISTEN: an unauthenticated `/metrics` on its own (private) address. */
async function listenMetrics(listen: string, metrics: Metrics, log: Logger): Promise<http.Server> {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new ConfigError(`METRICS_LISTEN must be host:port, got "${listen}"`);
  const app = express();
  app.use(openMetricsRoutes(metrics));
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), m[1]!.replace(/^\[|\]$/g, ''), () => resolve());
  });
  log.info({ listen }, 'metrics listening');
  return server;
}
