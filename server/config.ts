import path from 'node:path';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  dbFile: string;
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
  /** Push streams: app-level heartbeat and ws ping interval; a peer that misses a pong is dropped. */
  heartbeatMs: number;
  /** Push streams: live SDK connections allowed per SDK key. */
  maxConnectionsPerKey: number;
  /** Push streams: a peer whose unsent backlog exceeds this many bytes is a slow consumer and is cut. */
  maxBufferedBytes: number;
  /** Failed authentications per client address per minute before 429. */
  authFailureLimit: number;
  /** A bearer token Prometheus may scrape `GET /metrics` with (besides reader user tokens). */
  metricsToken?: string;
  /** `host:port` of a separate, unauthenticated metrics listener on a private address. */
  metricsListen?: string;
  /** Days raw metric samples and telemetry rows are kept (aggregates are kept for good). */
  retentionDays: number;
  /** Distinct metric names one flag may report. */
  metricNamesPerFlag: number;
  /** Metric samples per second one token may send to `POST /api/metrics`. */
  metricsRateLimit: number;
  /** Evaluations per second one SDK connection may report; more in a telemetry report is refused. */
  telemetryMaxEvalsPerSecond: number;
}

export class ConfigError extends Error {}

function int(name: string, value: string | undefined, dflt: number, min: number, max: number): number {
  if (value === undefined || value === '') return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

function opt(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** Reads the configuration from the environment; see the README's configuration table. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const dataDir = path.resolve(overrides.dataDir ?? env.DATA_DIR ?? './data');
  return {
    port: int('PORT', env.PORT, 8080, 0, 65535),
    host: env.HOST ?? '127.0.0.1',
    dataDir,
    dbFile: path.join(dataDir, 'switchyard.db'),
    logLevel: env.LOG_LEVEL ?? 'info',
    publicUrl: opt(env.PUBLIC_URL),
    jwksUrl: opt(env.JWKS_URL),
    jwtIssuer: opt(env.JWT_ISSUER),
    jwtAudience: opt(env.JWT_AUDIENCE),
    jwtRoleClaim: opt(env.JWT_ROLE_CLAIM),
    allowedOrigins: (env.ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    webhookUrl: opt(env.WEBHOOK_URL),
    authFailureLimit: int('AUTH_FAILURE_LIMIT', env.AUTH_FAILURE_LIMIT, 20, 1, 1_000_000),
    metricsToken: opt(env.METRICS_TOKEN),
    metricsListen: opt(env.METRICS_LISTEN),
    heartbeatMs: int('HEARTBEAT_MS', env.HEARTBEAT_MS, 15_000, 20, 600_000),
    maxConnectionsPerKey: int('MAX_CONNECTIONS_PER_KEY', env.MAX_CONNECTIONS_PER_KEY, 10_000, 1, 1_000_000),
    retentionDays: int('RETENTION_DAYS', env.RETENTION_DAYS, 30, 1, 36_500),
    metricNamesPerFlag: int('METRIC_NAMES_PER_FLAG', env.METRIC_NAMES_PER_FLAG, 50, 1, 1_000_000),
    metricsRateLimit: int('METRICS_RATE_LIMIT', env.METRICS_RATE_LIMIT, 10_000, 1000, 100_000_000),
    telemetryMaxEvalsPerSecond: int('TELEMETRY_MAX_EVALS_PER_SECOND', env.TELEMETRY_MAX_EVALS_PER_SECOND, 1_000_000, 1, 1_000_000_000),
    maxBufferedBytes: int('MAX_BUFFERED_BYTES', env.MAX_BUFFERED_BYTES, 1024 * 1024, 1024, 1024 * 1024 * 1024),
    ...overrides,
    ...(overrides.dataDir ? { dbFile: path.join(dataDir, 'switchyard.db') } : {}),
  };
}
