import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.js';
import { AuditCheckpoints } from './audit/audit-checkpoints.js';
import { latestCheckpoint } from './audit/checkpoint-store.js';
import { loadOrCreateCheckpointKey } from './audit/checkpoint-key.js';
import { createAuthenticator } from './auth/auth-middleware.js';
import { authFailureLimiter } from './auth/shared-auth-limiter.js';
import { clientAddressResolver, parseTrustedProxies } from './auth/client-address.js';
import { createTokenVerifier, issueToken, loadSecretFile } from './auth/tokens.js';
import { sessionOfJti } from './auth/session-auth.js';
import type { OidcSettings } from './auth/oidc-client.js';
import type { RoleMapping } from './auth/oidc-roles.js';
import { RevocationList } from './auth/revocation-list.js';
import { LocalChangeBus, type ChangeBus } from './changes.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { ConfigError } from './errors.js';
import express from 'express';
import { Prometheus } from './observability/metrics.js';
import { Health } from './observability/health.js';
import { openMetricsRoutes } from './observability/metrics-routes.js';
import { migrate } from './storage/migrator.js';
import { openStorage } from './storage/open.js';
import type { Storage } from './storage/storage.js';
import { Lifecycle } from './lifecycle.js';
import { loadOrCreateWebhookSecret } from './rollout/webhook-signature.js';
import { prepareDataDir } from './data-dir.js';
import { showBootstrapToken } from './bootstrap-token.js';
import { createLogger, type Logger } from './log.js';
import { attachPushServer, type PushServer } from './push/push-server.js';
import { ConnectionGuard } from './push/connection-guard.js';
import { StreamBudget, type StreamKind } from './push/stream-budget.js';
import { createServices, type Services } from './services.js';
import { exportSourceOf } from './audit/audit-export.js';
import { startCluster, type Cluster } from './cluster/cluster.js';
import { Drain } from './drain.js';
import { Jobs } from './jobs.js';
import { serverJobs } from './server-jobs.js';

export interface StartOptions {
  config: Config;
  /**
   * The database to serve; the caller keeps it (closes it after the server). Unset: the server
   * opens the one `config` names (openStorage) and closes it with itself.
   */
  storage?: Storage;
  clock?: Clock;
  log?: Logger;
  /** Print the first-start banner with the bootstrap admin token (the CLI does; tests read `bootstrapToken`). */
  printBanner?: boolean;
  /** Tests only: throw right after this start step (one of START_STEPS), to check what a failed start releases. */
  failAt?: StartStep;
}

/** The steps of startServer that acquire something, in order (the lifecycle test fails each in turn). */
export const START_STEPS = ['storage', 'migrate', 'cluster', 'revocations', 'limits', 'checkpoints', 'push', 'metrics-listen', 'listen', 'cluster-attach', 'jobs'] as const;
export type StartStep = (typeof START_STEPS)[number];

export interface RunningServer {
  config: Config;
  url: string;
  port: number;
  server: http.Server;
  /** The database (server/storage/): Kysely handle, write gate, kind. */
  storage: Storage;
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
  /** What the server holds now, last acquired last (released in reverse by close()). */
  held(): string[];
  /** The periodic jobs (server/jobs.ts); tests run one by hand with `jobs.get(name)!.tick()`. */
  jobs: Jobs;
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

/** Where the built admin UI lives, relative to this module both in source and in dist/. */
function adminUiDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.basename(here) === 'dist' ? path.join(here, 'admin-ui') : path.join(here, '..', 'dist', 'admin-ui');
}

/**
 * env -> open storage -> migrate -> services -> app -> listen. Every acquisition registers its
 * release on one Lifecycle right after it: a failed start releases what it held, and close()
 * releases the same stack. No step here asks which database it is (server/storage/ decides).
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config } = opts;
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  if (config.jwksUrl && !config.jwtIssuer) {
    throw new ConfigError('JWKS_URL is set without JWT_ISSUER: set JWT_ISSUER to the identity provider\'s issuer, or any token its keys signed would be accepted');
  }
  const trustedProxies = parseTrustedProxies(config.trustProxy);
  const life = new Lifecycle((name, err) => log.warn({ err, step: name }, 'releasing a server resource failed'));
  const step = (name: StartStep) => {
    if (opts.failAt === name) throw new Error(`start step "${name}" failed (failAt, a test)`);
  };
  try {
    return await start();
  } catch (err) {
    await life.close();
    throw err;
  }

  async function start(): Promise<RunningServer> {
    // DATA_DIR holds the key files on both kinds; the SQLite storage adds its file and one-server lock.
    prepareDataDir(config.dataDir, undefined);
    const storage = opts.storage ?? life.use('storage', openStorage(config, { lockDir: config.dataDir, onPoolError: (err) => log.warn({ err }, 'a pooled PostgreSQL connection failed; the pool opens a new one') }), (s) => s.close());
    step('storage');
    const { secret, created } = loadSecretFile(config.secretFile);
    const checkpointKey = loadOrCreateCheckpointKey(config.checkpointKeyFile);
    await storage.checkIntegrity();
    const applied = await migrate(storage.db);
    if (applied.length) log.info({ migrations: applied }, 'database migrated');
    step('migrate');
    if (checkpointKey.created) log.info({ file: config.checkpointKeyFile, keyId: checkpointKey.key.keyId }, 'audit checkpoint key created; keep a copy of its public key (GET /api/audit/checkpoints) off this host');
    if (checkpointKey.warning) log.warn({ file: config.checkpointKeyFile }, checkpointKey.warning);
    const lastCheckpoint = await latestCheckpoint(storage.db);
    if (lastCheckpoint && lastCheckpoint.keyId !== checkpointKey.key.keyId) {
      // A replica with its own key would report the others' checkpoints as untrusted (GET /api/audit/verify).
      log.error(
        { file: config.checkpointKeyFile, keyId: checkpointKey.key.keyId, lastCheckpointKeyId: lastCheckpoint.keyId, seq: lastCheckpoint.seq },
        'the newest audit checkpoint was signed by another key than this server\'s CHECKPOINT_KEY_FILE: every replica of a cluster must use the same key file (docs/deploy.md), or GET /api/audit/verify reports the checkpoints as untrusted',
      );
    }
    // A database several servers share: every replica hears every other's commits (LISTEN/NOTIFY, server/cluster/).
    const cluster = storage.clusterUrl
      ? life.use('cluster', await startCluster({ db: storage.db, databaseUrl: storage.clusterUrl, log, name: config.replicaName, heartbeatMs: config.replicaHeartbeatMs }), (c) => c.close())
      : undefined;
    step('cluster');
    const bus: ChangeBus = cluster?.bus ?? new LocalChangeBus();
    // Periodic jobs run on the replica holding the job lease; on one node, always.
    const runsJobs = cluster ? () => cluster.lease.holds() : () => true;
    const prometheus = new Prometheus();
    life.defer('metrics-watch', prometheus.watch(bus));
    const health = new Health({ db: storage.db, storage, lockHeld: storage.lockHeld });
    if (cluster) health.watchChangeStream(() => cluster.bus.lag());
    prometheus.sources.dbWritable = () => health.dbWritable;
    if (storage.lockHeld) prometheus.sources.lockHeld = storage.lockHeld;
    // Revocations committed elsewhere move this signal (SQLite's data_version; a NOTIFY on the cluster's connection).
    const revocationSignal = life.use('revocations', await storage.revocationSignal(cluster?.bus), (s) => s.stop());
    const revocations = new RevocationList(storage.db, revocationSignal.version);
    await revocations.load();
    step('revocations');
    // Rate limits and the per-key stream cap count where every replica sees them (PostgreSQL), else in memory (server/limits/).
    const limits = life.use('limits', storage.openLimits(), (l) => l.close());
    step('limits');
    const services = createServices({
      auditExport: exportSourceOf(storage, config.databaseUrl),
      limits,
      revocations,
      storage,
      clock,
      bus,
      log,
      webhookUrl: config.webhookUrl,
      webhookSecret: loadOrCreateWebhookSecret(config.dataDir, config.webhookSecret),
      webhookAllow: config.webhookAllow,
      observeWrite: (s) => {
        prometheus.dbWriteDuration.observe(s);
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
      sessions: { ttlSeconds: config.sessionTtlSeconds, idleSeconds: config.sessionIdleTimeoutSeconds },
      ...(config.oidcIssuer ? { oidc: oidcOf(config) } : {}),
      onTelemetryRefused: (reason, n) => prometheus.telemetryRefused.inc({ reason }, n),
      defaultEnvironment: config.defaultEnvironment,
    });
    // DEFAULT_ENVIRONMENT must name an environment of this database: one line otherwise, no start.
    await services.environments.checkDefault();
    const verifyUser = createTokenVerifier({
      secret,
      jwksUrl: config.jwksUrl,
      jwksIssuer: config.jwtIssuer,
      jwksAudience: config.jwtAudience,
      roleClaim: config.jwtRoleClaim,
      maxTtlSeconds: config.maxTokenTtlSeconds,
      metricsMaxTtlSeconds: config.metricsTokenMaxTtlSeconds,
    });
    const checkpoints = new AuditCheckpoints({ db: storage.db, storage, clock, key: checkpointKey.key, log, every: config.checkpointEvery, logFile: config.checkpointLog, runs: cluster ? runsJobs : undefined });
    // Last of the checkpoints' releases: a checkpoint under way ends before the database closes.
    life.defer('checkpoints-close', () => checkpoints.close());
    life.defer('checkpoints-attach', await checkpoints.attach(bus));
    step('checkpoints');
    health.watchAuditCheckpoints(() => checkpoints.refused);
    prometheus.sources.auditCheckpointRefused = () => checkpoints.refused !== null;
    // Evaluation telemetry: counts summed in memory, written in one transaction by the
    // telemetry_flush job and once more on close (after the OFREP streams ended and the sockets
    // closed, so their last counts are in).
    life.defer('telemetry', async () => void (await services.telemetry.flush()));
    life.defer('ofrep', () => services.ofrep.close());
    const authenticator = createAuthenticator(
      storage.db,
      verifyUser,
      authFailureLimiter(config.authFailureLimit, limits, () => services.clock().getTime(), (err) => log.warn({ err }, 'limits: failed authentications could not be counted in PostgreSQL; counted in this replica only')),
      clientAddressResolver(trustedProxies),
      (claims) => revocations.isRevoked(claims),
      services.oidc?.auth,
    );
    // A provider down at start is a warning: sign-in retries discovery, sessions and tokens keep working.
    services.oidc?.client.discover().then(
      () => log.info({ issuer: config.oidcIssuer }, 'oidc: identity provider discovered'),
      (err: unknown) => log.warn({ err: { message: (err as Error).message } }, `oidc: the identity provider ${config.oidcIssuer} is unreachable; sign-in will retry it (break-glass: docs/runbook.md section 17)`),
    );
    const app = createApp({ db: storage.db, services, authenticator, log, adminUiDir: adminUiDir(), prometheus, metricsToken: config.metricsToken, checkpoints, health, allowedOrigins: config.allowedOrigins });
    await services.push.start();
    // Timeouts a flag API needs (seconds, not minutes), checked every second, and a connection
    // cap that evicts idle sockets first (server/push/connection-guard.ts).
    const server = http.createServer({ connectionsCheckingInterval: 1000 }, app);
    server.headersTimeout = config.headersTimeoutSeconds * 1000;
    server.requestTimeout = config.requestTimeoutSeconds * 1000;
    server.keepAliveTimeout = config.keepAliveTimeoutSeconds * 1000;
    // Last of the HTTP server's releases: every connection closed and the server's 'close' seen.
    life.defer('http-connections', () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const drain = new Drain(server);
    // Long-lived streams have a budget of their own below MAX_CONNECTIONS (server/push/stream-budget.ts).
    const budget = new StreamBudget(
      { total: config.maxStreams, perKey: config.maxConnectionsPerKey, perAddress: config.maxStreamsPerAddress, perUser: config.maxAdminStreamsPerUser },
      (cap, kind) => prometheus.streamEvictions.inc({ cap, kind }),
    );
    services.ofrep.events.useBudget(budget, (req) => authenticator.addressOf(req));
    prometheus.sources.streams = () => (['sdk', 'ofrep', 'admin'] as StreamKind[]).map((k) => [k, budget.count(k)]);
    const connections = new ConnectionGuard(server, {
      maxConnections: config.maxConnections,
      onEvict: () => prometheus.connectionsEvicted.inc(),
      evictStream: () => budget.evictForConnection(),
    });
    prometheus.sources.httpConnections = () => connections.size;
    const push = attachPushServer(server, {
      config,
      authenticator,
      push: services.push,
      bus,
      log,
      onFanout: (s) => prometheus.pushFanout.observe(s),
      telemetry: services.telemetry,
      // A session's stream (jti "session:<id>") ends with its session; a token's with its revocation.
      isRevoked: (claims) => {
        const session = sessionOfJti(claims.jti);
        return session === undefined ? revocations.isRevoked(claims) : services.sessions.ended(session);
      },
      budget,
      onUnresponsive: () => prometheus.sdkUnresponsive.inc(),
      onUpgradeRefused: () => prometheus.upgradesRefused.inc(),
      revocationsMoved: () => revocationSignal.version(),
      isKeyLive: (keyId) => services.ofrep.keyIsLive(keyId),
      // Keys revoked on another replica: rechecked every second where there are others.
      keyRecheckMs: cluster ? 1000 : undefined,
      otherKeyStreams: services.ofrep.events,
    });
    life.defer('push', () => push.close());
    step('push');
    prometheus.sources.sdkConnections = () => push.sdk.size;
    prometheus.sources.unacknowledged = () => unacknowledgedByFlag(services);
    prometheus.sources.clockSkewSeconds = () => services.clock.skewMs() / 1000;
    if (config.metricsListen) {
      const metricsServer = await listenMetrics(config.metricsListen, prometheus, log);
      life.defer('metrics-listen', () => new Promise<void>((resolve) => metricsServer.close(() => resolve())));
    }
    step('metrics-listen');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    // First of every release: stop listening, so no new connection or upgrade arrives while the rest shuts down.
    life.defer('listen', () => void server.close());
    step('listen');
    const port = (server.address() as AddressInfo).port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    // OFREP event-stream URLs name PUBLIC_URL (else this address), never the request's Host header.
    services.ofrep.events.baseUrl = config.publicUrl ?? url;
    // Registers this replica (heartbeat, acknowledgement figures) and takes part in the job lease
    // (released by the cluster's close, registered with it).
    // Every periodic job runs on this one scheduler (server/jobs.ts); leader-only ones on the job
    // lease's holder. Stopped first at close: no job starts after, a run under way ends before what it uses closes.
    const jobs = new Jobs({ log, isLeader: runsJobs, observe: (job, seconds, failed) => prometheus.jobRan(job, seconds, failed) });
    life.defer('jobs', () => jobs.stop());
    if (cluster) {
      await cluster.attach(services.push, config.publicUrl ?? url, jobs, budget);
      log.info({ replica: cluster.name, id: cluster.id }, 'cluster: replica registered');
    }
    step('cluster-attach');
    // The periodic jobs, once this replica takes part in the job lease (a leader-only job that finds
    // it is not the lease holder skips its run): auto-advance, retention, audit checkpoints and the
    // telemetry flush (server/server-jobs.ts), and the storage's own background work (SQLite: WAL
    // checkpoints through the write gate).
    jobs.add(serverJobs({ services, checkpoints, config }));
    jobs.add(storage.jobs);
    jobs.add(limits.jobs);
    step('jobs');

    let bootstrapToken: string | undefined;
    if (created) {
      bootstrapToken = await issueToken(secret, 'bootstrap-admin', 'admin', 24 * 3600);
      if (opts.printBanner) showBootstrapToken(config, config.publicUrl ?? url, bootstrapToken, log);
    }

    // Logged last: a process manager (or a test) that waits for this line finds the replica
    // registered, its jobs scheduled and, once startServer returns, the CLI's SIGTERM drain installed.
    log.info({ url, dataDir: config.dataDir, database: storage.kind }, `switchyard listening on ${url}`);
    const running: RunningServer = {
      config,
      url,
      port,
      server,
      storage,
      services,
      bus,
      log,
      secret,
      push,
      checkpoints,
      cluster,
      bootstrapToken,
      health,
      held: () => life.held,
      jobs,
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
      close: () => life.close(),
    };
    return running;
  }
}



/** Pending acknowledgements of each live flag's latest change, read at scrape time. */
function* unacknowledgedByFlag(services: Services): Iterable<[string, number]> {
  for (const f of services.push.feed.snapshot().flags) {
    const p = services.push.tracker.of(f.key);
    if (p) yield [f.key, p.pending];
  }
}

/** METRICS_LISTEN: an unauthenticated `/metrics` on its own (private) address. */
async function listenMetrics(listen: string, prometheus: Prometheus, log: Logger): Promise<http.Server> {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new ConfigError(`METRICS_LISTEN must be host:port, got "${listen}"`);
  const app = express();
  app.use(openMetricsRoutes(prometheus));
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), m[1]!.replace(/^\[|\]$/g, ''), () => resolve());
  });
  log.info({ listen }, 'metrics listening');
  return server;
}

/** The sign-in settings of a configuration with OIDC_ISSUER (config-vars.ts checked the rest is there). */
function oidcOf(config: Config): { settings: OidcSettings; mapping: RoleMapping } {
  return {
    settings: { issuer: config.oidcIssuer!, clientId: config.oidcClientId!, clientSecret: config.oidcClientSecret, scopes: config.oidcScopes, publicUrl: config.publicUrl! },
    mapping: { claim: config.oidcRoleClaim, map: config.oidcRoleMap, defaultRole: config.oidcDefaultRole },
  };
}
