import path from 'node:path';
import { parseAllowlist, staticRefusal, type AllowEntry } from './rollout/webhook-destination.js';
import { MIN_WEBHOOK_SECRET } from './rollout/webhook-signature.js';

/** HEARTBEAT_MS unless set: how often push streams beat (a flag's lease must outlast two). */
export const DEFAULT_HEARTBEAT_MS = 15_000;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  dbFile: string;
  /** `DATABASE_URL=postgres://…` selects PostgreSQL (server/db.ts openDatabase); unset: SQLite at `dbFile`. */
  databaseUrl?: string;
  /** `DATABASE_POOL_MAX`: PostgreSQL connections of the main pool (reads, ingestion, edits); urgent writes have 2 more of their own. */
  databasePoolMax: number;
  /** REPLICA_NAME: this replica's name in a cluster's figures (default hostname-pid); PostgreSQL only. */
  replicaName?: string;
  /** REPLICA_HEARTBEAT_MS: how often a replica beats in `replicas` (default 2000); silent for 3 beats is gone. */
  replicaHeartbeatMs?: number;
  logLevel: string;
  /** The URL people reach the server at, for printed links. */
  publicUrl?: string;
  jwksUrl?: string;
  jwtIssuer?: string;
  jwtAudience?: string;
  jwtRoleClaim?: string;
  /** Browser origins allowed to open the SDK stream; empty = same origin only. */
  allowedOrigins: string[];
  /** Server-wide webhook for rollout notices (trips, kills, restores, advances). */
  webhookUrl?: string;
  /** Internal webhook destinations an admin allows (`WEBHOOK_ALLOW`: `host` or `host:port`, comma-separated). */
  webhookAllow: AllowEntry[];
  /** The webhook signing secret (`WEBHOOK_SECRET`); unset: `DATA_DIR/webhook-secret`, created on first start. */
  webhookSecret?: string;
  /** Push streams: app-level heartbeat and ws ping interval; a peer that misses a pong is dropped. */
  heartbeatMs: number;
  /** Long-lived streams (SDK websockets + OFREP event streams) per SDK key; past it the key's oldest is evicted. Default MAX_STREAMS / 2. */
  maxConnectionsPerKey: number;
  /** MAX_STREAMS: long-lived streams of every kind together, below MAX_CONNECTIONS (default 90% of it) so requests always have room. */
  maxStreams: number;
  /** MAX_STREAMS_PER_ADDRESS: long-lived streams per client address (TRUST_PROXY honoured); past it that address's oldest is evicted. */
  maxStreamsPerAddress: number;
  /** MAX_ADMIN_STREAMS_PER_USER: admin UI streams (/api/stream) per user; past it the user's oldest is evicted. */
  maxAdminStreamsPerUser: number;
  /** ACK_TIMEOUT_MS: an SDK that has not acknowledged what it was sent within this is unresponsive: closed, and counted apart. */
  ackTimeoutMs: number;
  /** Push streams: a peer whose unsent backlog exceeds this many bytes is a slow consumer and is cut. */
  maxBufferedBytes: number;
  /** Failed authentications per client address per minute before 429. */
  authFailureLimit: number;
  /** A bearer token Prometheus may scrape `GET /metrics` with (besides reader user tokens). */
  metricsToken?: string;
  /** `host:port` of a separate, unauthenticated metrics listener on a private address. */
  metricsListen?: string;
  /** SECRET_FILE: the HS256 signing secret's file (0600, ≥32 bytes, created if missing); default `DATA_DIR/secret`. Replicas share one. */
  secretFile: string;
  /** DRAIN_SECONDS: on SIGTERM, how long in-flight requests get to finish before the process exits. */
  drainSeconds: number;
  /** The Ed25519 private key audit checkpoints are signed with (PEM, 0600; created if missing). Not in the database. */
  checkpointKeyFile: string;
  /** Every signed audit checkpoint is appended here as a JSON line (outside the database); default DATA_DIR/checkpoints.log. */
  checkpointLog: string;
  /** Sign an audit checkpoint once the head is this many entries past the last one. */
  checkpointEvery: number;
  /** ...and on this timer whenever the head moved. */
  checkpointIntervalMs: number;
  /** TRUST_PROXY: addresses/CIDRs of proxies whose X-Forwarded-For names the client. */
  trustProxy: string[];
  /** Concurrent TCP connections the HTTP server accepts; past it new sockets are closed at once. */
  maxConnections: number;
  /** Websocket upgrades being authenticated at once; past it an upgrade gets 503 + Retry-After. */
  maxPendingUpgrades: number;
  /** Seconds a client has to send the request headers, and the whole request (body included). */
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  /** Seconds an idle keep-alive connection is kept open. */
  keepAliveTimeoutSeconds: number;
  /** Longest lifetime (exp - iat) accepted in a user token; METRICS_TOKEN_MAX_TTL for the metrics role. */
  maxTokenTtlSeconds: number;
  metricsTokenMaxTtlSeconds: number;
  /** Days raw metric samples and telemetry rows are kept (aggregates are kept for good). */
  retentionDays: number;
  /** Distinct metric names one flag may report. */
  metricNamesPerFlag: number;
  /** Metric samples per second one token may send to `POST /api/metrics`. */
  metricsRateLimit: number;
  /** Observations (the samples' counts) per second one token may claim (METRICS_OBSERVATION_LIMIT). */
  metricsObservationLimit: number;
  /** Observations one metric sample may claim (MAX_SAMPLE_COUNT). */
  maxSampleCount: number;
  /** Metric batches one process handles at once; one more gets 503 ingest_busy (INGEST_MAX_IN_FLIGHT). */
  ingestMaxInFlight: number;
  /** Evaluations per second one SDK connection may report; more in a telemetry report is refused. */
  telemetryMaxEvalsPerSecond: number;
}

export class ConfigError extends Error {}

const DAY = 86_400;

/** "30d", "8h", "90m", "45s" or a number of seconds. */
function duration(name: string, value: string | undefined, dflt: number, max: number): number {
  if (value === undefined || value === '') return dflt;
  const m = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  const seconds = m ? Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: DAY }[m[2] as '' | 's' | 'm' | 'h' | 'd'] : NaN;
  if (!(seconds >= 1 && seconds <= max)) throw new ConfigError(`${name} must be a duration from 1s to ${Math.floor(max / DAY)}d (e.g. 30d, 8h), got "${value}"`);
  return seconds;
}

function int(name: string, value: string | undefined, dflt: number, min: number, max: number): number {
  if (value === undefined || value === '') return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/** DATABASE_URL (and the CLI's --database-url): a postgres:// URL, or undefined for SQLite. */
export function databaseUrl(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  let ok = false;
  try {
    ok = /^postgres(ql)?:$/.test(new URL(v).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL (unset: SQLite in DATA_DIR)');
  return v;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** PUBLIC_URL: where clients reach this server (event-stream URLs, the banner), an http(s) URL, kept without a trailing slash. */
function publicUrlOf(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  let ok = false;
  try {
    ok = /^https?:$/.test(new URL(v).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new ConfigError(`PUBLIC_URL must be an http(s) URL such as https://flags.acme.com, got "${v}"`);
  return v.replace(/\/+$/, '');
}

/** LOG_LEVEL: one of pino's levels (an unknown one would stop the server with pino's stack). */
function logLevel(v: string | undefined): string {
  if (v === undefined || v === '') return 'info';
  if (!LOG_LEVELS.includes(v)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${v}"`);
  return v;
}

function opt(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** Reads the configuration from the environment; see the README's configuration table. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const dataDir = path.resolve(overrides.dataDir ?? env.DATA_DIR ?? './data');
  const maxTokenTtlSeconds = duration('MAX_TOKEN_TTL', env.MAX_TOKEN_TTL, 30 * DAY, 366 * DAY);
  const config: Config = {
    port: int('PORT', env.PORT, 8080, 0, 65535),
    host: env.HOST ?? '127.0.0.1',
    dataDir,
    dbFile: path.join(dataDir, 'switchyard.db'),
    databaseUrl: databaseUrl(env.DATABASE_URL),
    databasePoolMax: int('DATABASE_POOL_MAX', env.DATABASE_POOL_MAX, 10, 1, 1000),
    replicaName: opt(env.REPLICA_NAME),
    replicaHeartbeatMs: int('REPLICA_HEARTBEAT_MS', env.REPLICA_HEARTBEAT_MS, 2000, 50, 60_000),
    logLevel: logLevel(env.LOG_LEVEL),
    publicUrl: publicUrlOf(opt(env.PUBLIC_URL)),
    jwksUrl: opt(env.JWKS_URL),
    jwtIssuer: opt(env.JWT_ISSUER),
    jwtAudience: opt(env.JWT_AUDIENCE),
    jwtRoleClaim: opt(env.JWT_ROLE_CLAIM),
    allowedOrigins: (env.ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    webhookUrl: opt(env.WEBHOOK_URL),
    webhookAllow: allowlist(env.WEBHOOK_ALLOW),
    webhookSecret: webhookSecret(env.WEBHOOK_SECRET),
    authFailureLimit: int('AUTH_FAILURE_LIMIT', env.AUTH_FAILURE_LIMIT, 20, 1, 1_000_000),
    metricsToken: opt(env.METRICS_TOKEN),
    metricsListen: opt(env.METRICS_LISTEN),
    heartbeatMs: int('HEARTBEAT_MS', env.HEARTBEAT_MS, DEFAULT_HEARTBEAT_MS, 20, 600_000),
    ackTimeoutMs: int('ACK_TIMEOUT_MS', env.ACK_TIMEOUT_MS, 10_000, 50, 600_000),
    retentionDays: int('RETENTION_DAYS', env.RETENTION_DAYS, 30, 1, 36_500),
    metricNamesPerFlag: int('METRIC_NAMES_PER_FLAG', env.METRIC_NAMES_PER_FLAG, 50, 1, 1_000_000),
    metricsRateLimit: int('METRICS_RATE_LIMIT', env.METRICS_RATE_LIMIT, 10_000, 1000, 100_000_000),
    metricsObservationLimit: int('METRICS_OBSERVATION_LIMIT', env.METRICS_OBSERVATION_LIMIT, 1_000_000, 1000, 1_000_000_000_000),
    maxSampleCount: int('MAX_SAMPLE_COUNT', env.MAX_SAMPLE_COUNT, 1_000_000, 1, 1_000_000_000),
    ingestMaxInFlight: int('INGEST_MAX_IN_FLIGHT', env.INGEST_MAX_IN_FLIGHT, 8, 1, 1000),
    telemetryMaxEvalsPerSecond: int('TELEMETRY_MAX_EVALS_PER_SECOND', env.TELEMETRY_MAX_EVALS_PER_SECOND, 1_000_000, 1, 1_000_000_000),
    maxBufferedBytes: int('MAX_BUFFERED_BYTES', env.MAX_BUFFERED_BYTES, 1024 * 1024, 1024, 1024 * 1024 * 1024),
    secretFile: opt(env.SECRET_FILE) ? path.resolve(env.SECRET_FILE!) : path.join(dataDir, 'secret'),
    drainSeconds: int('DRAIN_SECONDS', env.DRAIN_SECONDS, 5, 0, 600),
    checkpointKeyFile: opt(env.CHECKPOINT_KEY_FILE) ? path.resolve(env.CHECKPOINT_KEY_FILE!) : path.join(dataDir, 'checkpoint-key'),
    checkpointLog: opt(env.CHECKPOINT_LOG) ? path.resolve(env.CHECKPOINT_LOG!) : path.join(dataDir, 'checkpoints.log'),
    checkpointEvery: int('CHECKPOINT_EVERY', env.CHECKPOINT_EVERY, 100, 1, 1_000_000),
    checkpointIntervalMs: int('CHECKPOINT_INTERVAL_MS', env.CHECKPOINT_INTERVAL_MS, 300_000, 10, 86_400_000),
    trustProxy: (env.TRUST_PROXY ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    maxConnections: int('MAX_CONNECTIONS', env.MAX_CONNECTIONS, 10_000, 1, 1_000_000),
    maxPendingUpgrades: int('MAX_PENDING_UPGRADES', env.MAX_PENDING_UPGRADES, 256, 1, 1_000_000),
    headersTimeoutSeconds: int('HEADERS_TIMEOUT', env.HEADERS_TIMEOUT, 10, 1, 600),
    requestTimeoutSeconds: int('REQUEST_TIMEOUT', env.REQUEST_TIMEOUT, 30, 1, 3600),
    keepAliveTimeoutSeconds: int('KEEP_ALIVE_TIMEOUT', env.KEEP_ALIVE_TIMEOUT, 5, 1, 600),
    maxTokenTtlSeconds,
    metricsTokenMaxTtlSeconds: duration('METRICS_TOKEN_MAX_TTL', env.METRICS_TOKEN_MAX_TTL, maxTokenTtlSeconds, 3660 * DAY),
    ...overrides,
    ...(overrides.dataDir ? { dbFile: path.join(dataDir, 'switchyard.db') } : {}),
    ...streamLimits(env, overrides, overrides.maxConnections ?? int('MAX_CONNECTIONS', env.MAX_CONNECTIONS, 10_000, 1, 1_000_000)),
  };
  if (config.webhookUrl !== undefined) checkWebhookUrl(config.webhookUrl, config.webhookAllow);
  return config;
}

type StreamLimits = Pick<Config, 'maxStreams' | 'maxConnectionsPerKey' | 'maxStreamsPerAddress' | 'maxAdminStreamsPerUser'>;

/** The stream budget sits below MAX_CONNECTIONS (a tenth, at least 16, is kept for requests); its shares default to half of it. */
function streamLimits(env: NodeJS.ProcessEnv, o: Partial<Config>, maxConnections: number): StreamLimits {
  const maxStreams = o.maxStreams ?? int('MAX_STREAMS', env.MAX_STREAMS, Math.max(1, maxConnections - Math.max(16, Math.ceil(maxConnections / 10))), 1, 1_000_000);
  if (maxStreams >= maxConnections && maxConnections > 1) throw new ConfigError(`MAX_STREAMS (${maxStreams}) must be below MAX_CONNECTIONS (${maxConnections}), or streams could leave no room for a kill`);
  const half = Math.max(1, Math.ceil(maxStreams / 2));
  return {
    maxStreams,
    maxConnectionsPerKey: o.maxConnectionsPerKey ?? int('MAX_CONNECTIONS_PER_KEY', env.MAX_CONNECTIONS_PER_KEY, half, 1, 1_000_000),
    maxStreamsPerAddress: o.maxStreamsPerAddress ?? int('MAX_STREAMS_PER_ADDRESS', env.MAX_STREAMS_PER_ADDRESS, half, 1, 1_000_000),
    maxAdminStreamsPerUser: o.maxAdminStreamsPerUser ?? int('MAX_ADMIN_STREAMS_PER_USER', env.MAX_ADMIN_STREAMS_PER_USER, 16, 1, 1_000_000),
  };
}

function allowlist(v: string | undefined): AllowEntry[] {
  try {
    return parseAllowlist(v);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function webhookSecret(v: string | undefined): string | undefined {
  const s = opt(v);
  if (s !== undefined && s.length < MIN_WEBHOOK_SECRET) throw new ConfigError(`WEBHOOK_SECRET must be at least ${MIN_WEBHOOK_SECRET} characters (e.g. openssl rand -hex 32)`);
  return s;
}

function checkWebhookUrl(url: string, allow: AllowEntry[]): void {
  let why: string | null;
  try {
    if (!/^https?:$/.test(new URL(url).protocol)) throw new Error('not http(s)');
    why = staticRefusal(url, allow);
  } catch {
    throw new ConfigError('WEBHOOK_URL must be an http(s) URL');
  }
  if (why) throw new ConfigError(`WEBHOOK_URL points inside the network (${why}); add its host to WEBHOOK_ALLOW if that is intended`);
}
