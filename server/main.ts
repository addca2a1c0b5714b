import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.js';
import { AuditCheckpoints } from './audit/audit-checkpoints.js';
import { latestCheckpoint } from './audit/checkpoint-store.js';
import { loadOrCreateCheckpointKey } from './audit/checkpoint-key.js';
import { gateOf } from './write-gate.js';
import { createAuthenticator } from './auth/auth-middleware.js';
import { AuthFailureLimiter } from './auth/auth-limiter.js';
import { clientAddressResolver, parseTrustedProxies } from './auth/client-address.js';
import { createTokenVerifier, issueToken, loadSecretFile } from './auth/tokens.js';
import { pollTokenRevocations, RevocationList } from './auth/revocation-list.js';
import { LocalChangeBus, type ChangeBus } from './changes.js';
import { systemClock, type Clock } from './clock.js';
import { ConfigError, type Config } from './config.js';
import express from 'express';
import { sql } from 'kysely';
import { Metrics } from './observability/metrics.js';
import { Health } from './observability/health.js';
import { openMetricsRoutes } from './observability/metrics-routes.js';
import { checkpointWal, dataVersion, disableAutoCheckpoint, migrate, openDatabase, type OpenedDatabase, type OpenedDb } from './db.js';
import { loadOrCreateWebhookSecret } from './rollout/webhook-signature.js';
import { checkIntegrity, lockDataDir, prepareDataDir, type DataDirLock } from './data-dir.js';
import { showBootstrapToken } from './bootstrap-token.js';
import { createLogger, type Logger } from './log.js';
import { attachPushServer, type PushServer } from './push/push-server.js';
import { ConnectionGuard } from './push/connection-guard.js';
import { StreamBudget, type StreamKind } from './push/stream-budget.js';
import { createServices, type Services } from './services.js';
import { startCluster, type Cluster } from './cluster/cluster.js';
import { Drain } from './drain.js';

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
  /**
   * The database: `dialect` says which. `opened.sqlite` is SQLite's raw handle; on PostgreSQL
   * reading it throws (the tests that inspect the SQLite file are skipped there by name).
   */
  opened: ServerDb;
  services: Services;
  bus: ChangeBus;
  log: Logger;
  secret: Uint8Array;
  /** The websocket streams (/sdk/stream, /api/stream). */
  push: PushServer;
  /** Signed audit checkpoints (the key file is config.checkpointKeyFile). */
  checkpoints: AuditCheckpoints;
  /** On PostgreSQL: this replica's part of the cluster (change bus, registry, job lease). */
  cluster?: Cluster;
  /** Set on the very first start of a data dir only. */
  bootstrapToken?: string;
  /** What /readyz checks (tests and the cluster wiring read it). */
  health: Health;
  close(): Promise<void>;
  /**
   * SIGTERM: /readyz answers 503 at once, new requests but safety actions (kill, restore,
   * rollback, pause) get 503 `shutting_down`, OFREP event streams end, SDK and admin sockets
   * close with 1012 (reconnect to another replica at once; new ones are still taken, and pushed
   * the safety actions), the requests in flight get up to `seconds` (DRAIN_SECONDS) to finish,
   * then `close()`. Resolves whether they finished.
   */
  drain(seconds?: number): Promise<boolean>;
}

export interface ServerDb extends OpenedDatabase {
  sqlite: NonNullable<OpenedDatabase['sqlite']>;
}

/** OpenedDatabase with `sqlite` always typed: on PostgreSQL reading it throws a clear error. */
function serverDb(o: OpenedDatabase): ServerDb {
  if (o.sqlite) return o as ServerDb;
  return Object.defineProperty({ ...o }, 'sqlite', {
    get() {
      throw new Error('this server runs on PostgreSQL (DATABASE_URL): there is no SQLite handle');
    },
  }) as ServerDb;
}

/** A PostgreSQL that cannot be reached at start is named (host, port, database; never the password). */
async function checkReachable(opened: OpenedDatabase, databaseUrl: string): Promise<void> {
  try {
    await sql`SELECT 1`.execute(opened.db);
  } catch (err) {
    const u = new URL(databaseUrl);
    throw new ConfigError(`cannot reach the PostgreSQL database of DATABASE_URL (${u.hostname}:${u.port || 5432}${u.pathname}): ${(err as Error).message || String(err)}; nothing was started (and nothing falls back to SQLite)`);
  }
}

/** On PostgreSQL no lock file: replicas share the database, and a replica needs nothing on disk but the key files. */
const NO_LOCK: DataDirLock = { file: '', held: () => true, release: () => undefined };

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
  if (config.jwksUrl && !config.jwtIssuer) {
    throw new ConfigError('JWKS_URL is set without JWT_ISSUER: set JWT_ISSUER to the identity provider\'s issuer, or any token its keys signed would be accepted');
  }
  const trustedProxies = parseTrustedProxies(config.trustProxy);
  const onPostgres = config.databaseUrl !== undefined;
  // DATA_DIR holds the key files on both; the database file and its one-server lock on SQLite only.
  prepareDataDir(config.dataDir, onPostgres ? undefined : config.dbFile);
  const lock = onPostgres ? NO_LOCK : lockDataDir(config.dataDir);
  let opened: ServerDb;
  let secret: Uint8Array;
  let created: boolean;
  let checkpointKey: ReturnType<typeof loadOrCreateCheckpointKey>;
  try {
    ({ secret, created } = loadSecretFile(config.secretFile));
    checkpointKey = loadOrCreateCheckpointKey(config.checkpointKeyFile);
    opened = serverDb(openDatabase(config, (err) => log.warn({ err }, 'a pooled PostgreSQL connection failed; the pool opens a new one')));
  } catch (err) {
    lock.release();
    throw err;
  }
  try {
    if (opened.dialect === 'sqlite') checkIntegrity(opened, config.dbFile);
    else await checkReachable(opened, config.databaseUrl!);
    const applied = await migrate(opened.db);
    if (applied.length) log.info({ migrations: applied }, 'database migrated');
  } catch (err) {
    await opened.close();
    lock.release();
    throw err;
  }
  if (checkpointKey.created) log.info({ file: config.checkpointKeyFile, keyId: checkpointKey.key.keyId }, 'audit checkpoint key created; keep a copy of its public key (GET /api/audit/checkpoints) off this host');
  if (checkpointKey.warning) log.warn({ file: config.checkpointKeyFile }, checkpointKey.warning);
  const lastCheckpoint = await latestCheckpoint(opened.db);
  if (lastCheckpoint && lastCheckpoint.keyId !== checkpointKey.key.keyId) {
    // A replica with its own key would report the others' checkpoints as untrusted (GET /api/audit/verify).
    log.error(
      { file: config.checkpointKeyFile, keyId: checkpointKey.key.keyId, lastCheckpointKeyId: lastCheckpoint.keyId, seq: lastCheckpoint.seq },
      'the newest audit checkpoint was signed by another key than this server\'s CHECKPOINT_KEY_FILE: every replica of a cluster must use the same key file (docs/deploy.md), or GET /api/audit/verify reports the checkpoints as untrusted',
    );
  }
  // On PostgreSQL every replica hears every other's commits (LISTEN/NOTIFY, server/cluster/).
  let cluster: Cluster | undefined;
  try {
    cluster = onPostgres ? await startCluster({ db: opened.db, databaseUrl: config.databaseUrl!, log, name: config.replicaName, heartbeatMs: config.replicaHeartbeatMs }) : undefined;
  } catch (err) {
    await opened.close();
    throw err;
  }
  const bus: ChangeBus = cluster?.bus ?? new LocalChangeBus();
  // Periodic jobs run on the replica holding the job lease; on one node, always.
  const runsJobs = cluster ? () => cluster.lease.holds() : () => true;
  const metrics = new Metrics();
  const unwatch = metrics.watch(bus);
  const health = new Health({ db: opened.db, lockHeld: onPostgres ? undefined : lock.held });
  if (cluster) health.watchChangeStream(() => cluster.bus.lag());
  metrics.sources.dbWritable = () => health.dbWritable;
  if (!onPostgres) metrics.sources.lockHeld = lock.held;
  // Revocations committed elsewhere: SQLite's data_version moves; PostgreSQL is polled.
  let revocationPoll: { version: () => number; stop: () => void };
  try {
    revocationPoll = opened.dialect === 'sqlite' ? { version: () => dataVersion(opened), stop: () => undefined } : await pollTokenRevocations(opened.db);
  } catch (err) {
    unwatch();
    await opened.close();
    throw err;
  }
  const revocations = new RevocationList(opened.db, revocationPoll.version);
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
    sampleLimits: {
      namesPerFlag: config.metricNamesPerFlag,
      samplesPerSecond: config.metricsRateLimit,
      observationsPerSecond: config.metricsObservationLimit,
      maxSampleCount: config.maxSampleCount,
      inFlight: config.ingestMaxInFlight,
    },
    retentionDays: config.retentionDays,
    telemetryEvalsPerSecond: config.telemetryMaxEvalsPerSecond,
    eventStreamsPerKey: config.maxConnectionsPerKey,
    heartbeatMs: config.heartbeatMs,
    signingSecret: secret,
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
  const checkpoints = new AuditCheckpoints({ db: opened.db, clock, key: checkpointKey.key, log, every: config.checkpointEvery, logFile: config.checkpointLog, runs: cluster ? runsJobs : undefined });
  const detachCheckpoints = await checkpoints.attach(bus);
  health.watchAuditCheckpoints(() => checkpoints.refused);
  metrics.sources.auditCheckpointRefused = () => checkpoints.refused !== null;
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
  const drain = new Drain(server);
  // Long-lived streams have a budget of their own below MAX_CONNECTIONS (server/push/stream-budget.ts).
  const budget = new StreamBudget(
    { total: config.maxStreams, perKey: config.maxConnectionsPerKey, perAddress: config.maxStreamsPerAddress, perUser: config.maxAdminStreamsPerUser },
    (cap, kind) => metrics.streamEvictions.inc({ cap, kind }),
  );
  services.ofrep.events.useBudget(budget, (req) => authenticator.addressOf(req));
  metrics.sources.streams = () => (['sdk', 'ofrep', 'admin'] as StreamKind[]).map((k) => [k, budget.count(k)]);
  const connections = new ConnectionGuard(server, {
    maxConnections: config.maxConnections,
    onEvict: () => metrics.connectionsEvicted.inc(),
    evictStream: () => budget.evictForConnection(),
  });
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
    budget,
    onUnresponsive: () => metrics.sdkUnresponsive.inc(),
    onUpgradeRefused: () => metrics.upgradesRefused.inc(),
    revocationsMoved: () => revocationPoll.version(),
    isKeyLive: (keyId) => services.ofrep.keyIsLive(keyId),
    keyRecheckMs: onPostgres ? 1000 : undefined,
    otherKeyStreams: services.ofrep.events,
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
    revocationPoll.stop();
    await cluster?.close();
    await opened.close();
    lock.release();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info({ url, dataDir: config.dataDir, database: opened.dialect }, `switchyard listening on ${url}`);
  // OFREP event-stream URLs name PUBLIC_URL (else this address), never the request's Host header.
  services.ofrep.events.baseUrl = config.publicUrl ?? url;
  // Registers this replica (heartbeat, acknowledgement figures) and takes part in the job lease.
  if (cluster) {
    await cluster.attach(services.push.tracker, config.publicUrl ?? url);
    log.info({ replica: cluster.name, id: cluster.id }, 'cluster: replica registered');
  }

  let bootstrapToken: string | undefined;
  if (created) {
    bootstrapToken = await issueToken(secret, 'bootstrap-admin', 'admin', 24 * 3600);
    if (opts.printBanner) showBootstrapToken(config, config.publicUrl ?? url, bootstrapToken, log);
  }

  // Auto-advance: every 30 s on an unref'd timer (tests call services.scheduler.tick() with their own clock).
  const stopScheduler = services.scheduler.start(30_000, runsJobs);
  // SQLite's WAL is checkpointed on a timer; PostgreSQL checkpoints by itself.
  const stopCheckpoints = opened.dialect === 'sqlite' ? checkpointInBackground(opened) : () => undefined;
  const stopAuditCheckpoints = checkpoints.start(config.checkpointIntervalMs);
  // Evaluation telemetry: counts summed in memory, written in one transaction every 5 s and on close.
  const stopTelemetry = services.telemetry.start(5_000);
  // Retention: raw samples and telemetry past RETENTION_DAYS pruned every 10 minutes, in small non-urgent batches.
  const stopRetention = services.retention.start(10 * 60_000, runsJobs);

  let closing: Promise<void> | undefined;
  const running: RunningServer = {
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
    cluster,
    bootstrapToken,
    health,
    async drain(seconds = config.drainSeconds) {
      health.shutDown();
      drain.begin();
      // OFREP event streams end now (an EventSource reconnects elsewhere); held, they would keep the drain waiting.
      services.ofrep.events.endAll();
      // SDKs are told to move (1012), but streams are still taken: one with nowhere else to go
      // reconnects here and is pushed the safety actions this server still takes while it drains.
      push.moveAll();
      const settled = await drain.settled(seconds * 1000);
      await services.push.feed.settled();
      await push.close(1012);
      await running.close();
      return settled;
    },
    close() {
      closing ??= (async () => {
        // Stop listening first: no new connection or upgrade arrives while the rest shuts down.
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await stopScheduler();
        stopCheckpoints();
        revocationPoll.stop();
        unwatch();
        if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
        await push.close();
        await stopRetention();
        services.ofrep.close(); // OFREP event streams end; counts held since the last second go into the final telemetry flush
        await stopTelemetry();
        detachCheckpoints();
        await stopAuditCheckpoints();
        // Removes this replica's row and gives up the job lease, so the others know at once.
        await cluster?.close();
        server.closeAllConnections();
        await stopped;
        await opened.close();
        lock.release();
      })();
      return closing;
    },
  };
  return running;
}

/**
 * SQLite checkpoints the WAL inside whichever commit crosses the threshold, so under a flood
 * of metric batches a kill's commit could pay for copying megabytes. The server checkpoints
 * on a timer instead, through the write gate, where a kill waiting goes first.
 */
function checkpointInBackground(opened: OpenedDb, everyMs = 1000): () => void {
  disableAutoCheckpoint(opened);
  let queued = false;
  const timer = setInterval(() => {
    // One checkpoint waiting or running at most: behind a long write, ticks do not pile up at the gate.
    if (queued) return;
    queued = true;
    gateOf(opened.db)
      .run(false, async () => checkpointWal(opened))
      .catch(() => {
        // A busy or failed checkpoint is retried on the next tick; the WAL keeps every change meanwhile.
      })
      .finally(() => (queued = false));
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
