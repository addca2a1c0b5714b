import path from 'node:path';
import { AUDIENCE } from './auth/tokens.js';
import { DEFAULT_HEARTBEAT_MS } from './flags/flag-service.js';
import { parseAllowlist, staticRefusal, type AllowEntry } from './rollout/webhook-destination.js';
import { MIN_WEBHOOK_SECRET } from './rollout/webhook-signature.js';
import { parseRoleMap } from './auth/oidc-roles.js';
import { ROLES, type Role } from './auth/roles.js';
import { baseUrl, DAY, duration, file, int, list, oneOf, parsedBy, secret, text, url, type Parser } from './config-parsers.js';

/** The values read so far (variables are read in the order of VARS), for defaults and checks that depend on others. */
export type SoFar = Readonly<Record<string, unknown>>;

/**
 * One environment variable, declared once: the Config type, the parser, `switchyard serve --help`
 * and the README's configuration table check (test/config.test.ts) are all derived from these.
 */
export interface ConfigVar<T> {
  env: string;
  /** A former name, still read (with a warning at start naming `env`). */
  was?: string;
  parse: Parser<T>;
  /** The value when unset or empty; a function of the values read before it. */
  dflt: T | ((c: SoFar) => T);
  /** The default as the README's table shows it. */
  shown: string;
  /** One line for `switchyard serve --help`. */
  help: string;
  /** A problem with the final value (overrides included), as a whole line naming the variable. */
  check?: (value: T, c: SoFar) => string | undefined;
}

const v = <T>(d: ConfigVar<T>): ConfigVar<T> => d;
/** A variable with no default: unset, the field is undefined. */
const opt = <T>(d: Omit<ConfigVar<T | undefined>, 'dflt' | 'shown'> & { parse: Parser<T>; shown?: string }): ConfigVar<T | undefined> => ({ dflt: undefined, shown: '—', ...d });
const under = (name: string) => (c: SoFar) => path.join(c.dataDir as string, name);
const half = (n: number) => Math.max(1, Math.ceil(n / 2));
/** An OIDC issuer: https, or http on a loopback address only (a provider on this machine, as in the tests). */
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;
function issuerProblem(u: string): string | undefined {
  const url = new URL(u);
  if (url.protocol === 'https:' || LOOPBACK.test(url.hostname)) return undefined;
  return `OIDC_ISSUER must be an https URL (plain http only on a loopback address), got "${u}"`;
}
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export const VARS = {
  port: v({ env: 'PORT', parse: int(0, 65535), dflt: 8080, shown: '`8080`', help: 'listen port (0 picks a free one)' }),
  host: v({ env: 'HOST', parse: text, dflt: '127.0.0.1', shown: '`127.0.0.1`', help: 'listen address; 0.0.0.0 to serve other machines' }),
  dataDir: v({ env: 'DATA_DIR', parse: file, dflt: () => path.resolve('./data'), shown: '`./data`', help: 'the SQLite database, the lock, the key files' }),
  databaseUrl: opt({ env: 'DATABASE_URL', parse: url(/^postgres(ql)?:$/, 'a postgres:// or postgresql:// URL (unset: SQLite in DATA_DIR)'), help: 'serve from this PostgreSQL instead of SQLite' }),
  databasePoolMax: v({ env: 'DATABASE_POOL_MAX', parse: int(1, 1000), dflt: 10, shown: '`10`', help: 'PostgreSQL: main pool connections (urgent writes have 2 more)' }),
  logLevel: v({ env: 'LOG_LEVEL', parse: oneOf(LOG_LEVELS), dflt: 'info', shown: '`info`', help: `pino level: ${LOG_LEVELS.join(', ')}` }),
  publicUrl: opt({ env: 'PUBLIC_URL', parse: baseUrl, shown: 'the listen URL', help: 'the http(s) URL clients reach this server at (links, OFREP event streams)' }),
  jwksUrl: opt({ env: 'JWKS_URL', parse: text, help: "also accept tokens signed by this identity provider's JWKS (needs JWT_ISSUER)" }),
  jwtIssuer: opt({ env: 'JWT_ISSUER', parse: text, help: 'the iss those tokens must carry' }),
  jwtAudience: v({ env: 'JWT_AUDIENCE', parse: text, dflt: AUDIENCE, shown: `\`${AUDIENCE}\``, help: 'the aud those tokens must carry' }),
  jwtRoleClaim: v({ env: 'JWT_ROLE_CLAIM', parse: text, dflt: 'role', shown: '`role`', help: 'the claim holding the Switchyard role' }),
  allowedOrigins: v({ env: 'ALLOWED_ORIGINS', parse: list, dflt: [], shown: '—', help: 'browser origins allowed to stream and to call OFREP cross-origin (* any)' }),
  webhookAllow: v<AllowEntry[]>({ env: 'WEBHOOK_ALLOW', parse: parsedBy(parseAllowlist), dflt: [], shown: '—', help: 'host or host:port webhook destinations allowed although internal' }),
  webhookUrl: opt({
    env: 'WEBHOOK_URL', parse: url(/^https?:$/, 'an http(s) URL'), help: 'server-wide webhook for rollout notices',
    check: (u, c) => {
      let why: string | null;
      try {
        why = u === undefined ? null : staticRefusal(u, c.webhookAllow as AllowEntry[]);
      } catch {
        return 'WEBHOOK_URL must be an http(s) URL';
      }
      return why ? `WEBHOOK_URL points inside the network (${why}); add its host to WEBHOOK_ALLOW if that is intended` : undefined;
    },
  }),
  webhookSecret: opt({ env: 'WEBHOOK_SECRET', parse: secret(MIN_WEBHOOK_SECRET, 'e.g. openssl rand -hex 32'), shown: '`$DATA_DIR/webhook-secret`', help: 'the key webhook deliveries are signed with' }),
  authFailureLimit: v({ env: 'AUTH_FAILURE_LIMIT', parse: int(1, 1_000_000), dflt: 20, shown: '`20`', help: 'failed authentications per address per minute before 429' }),
  metricsToken: opt({ env: 'METRICS_TOKEN', parse: text, help: 'a bearer token Prometheus may scrape /metrics with' }),
  metricsListen: opt({ env: 'METRICS_LISTEN', parse: text, help: 'host:port of a separate, unauthenticated /metrics listener' }),
  heartbeatMs: v({ env: 'HEARTBEAT_MS', parse: int(20, 600_000), dflt: DEFAULT_HEARTBEAT_MS, shown: `\`${DEFAULT_HEARTBEAT_MS}\``, help: 'push stream heartbeat; a peer that misses a pong is dropped' }),
  maxConnections: v({ env: 'MAX_CONNECTIONS', parse: int(1, 1_000_000), dflt: 10_000, shown: '`10000`', help: 'concurrent TCP connections (keep below ulimit -n)' }),
  maxStreams: v({
    env: 'MAX_STREAMS', parse: int(1, 1_000_000), shown: '90% of `MAX_CONNECTIONS` (9000)', help: 'every long-lived stream together; below MAX_CONNECTIONS',
    // A tenth of the connections, at least 16, is kept for requests.
    dflt: (c) => Math.max(1, (c.maxConnections as number) - Math.max(16, Math.ceil((c.maxConnections as number) / 10))),
    check: (n, c) => (n >= (c.maxConnections as number) && (c.maxConnections as number) > 1 ? `MAX_STREAMS (${n}) must be below MAX_CONNECTIONS (${c.maxConnections as number}), or streams could leave no room for a kill` : undefined),
  }),
  maxConnectionsPerKey: v({ env: 'MAX_CONNECTIONS_PER_KEY', parse: int(1, 1_000_000), dflt: (c) => half(c.maxStreams as number), shown: '`MAX_STREAMS / 2` (4500)', help: "long-lived streams per SDK key; past it the key's oldest is evicted" }),
  maxStreamsPerAddress: v({ env: 'MAX_STREAMS_PER_ADDRESS', parse: int(1, 1_000_000), dflt: (c) => half(c.maxStreams as number), shown: '`MAX_STREAMS / 2` (4500)', help: "long-lived streams per client address; past it that address's oldest is evicted" }),
  maxAdminStreamsPerUser: v({ env: 'MAX_ADMIN_STREAMS_PER_USER', parse: int(1, 1_000_000), dflt: 16, shown: '`16`', help: "admin UI streams per user; past it the user's oldest is evicted" }),
  ackTimeoutMs: v({ env: 'ACK_TIMEOUT_MS', parse: int(50, 600_000), dflt: 10_000, shown: '`10000`', help: 'an SDK that has not acknowledged within this is closed as unresponsive' }),
  maxBufferedBytes: v({ env: 'MAX_BUFFERED_BYTES', parse: int(1024, 1024 ** 3), dflt: 1024 * 1024, shown: '`1048576`', help: 'a push peer with more unsent bytes is cut' }),
  secretFile: v({ env: 'SECRET_FILE', parse: file, dflt: under('secret'), shown: '`$DATA_DIR/secret`', help: 'the HS256 secret user tokens are signed with (replicas share one)' }),
  replicaName: opt({ env: 'REPLICA_NAME', parse: text, shown: 'hostname-pid', help: "PostgreSQL: this replica's name in the per-replica figures" }),
  replicaHeartbeatMs: v({ env: 'REPLICA_HEARTBEAT_MS', parse: int(50, 60_000), dflt: 2000, shown: '`2000`', help: 'PostgreSQL: how often a replica beats; silent for 3 beats it is gone' }),
  drainSeconds: v({ env: 'DRAIN_SECONDS', parse: int(0, 600), dflt: 5, shown: '`5`', help: 'on SIGTERM, how long in-flight requests get to finish' }),
  checkpointKeyFile: v({ env: 'CHECKPOINT_KEY_FILE', parse: file, dflt: under('checkpoint-key'), shown: '`$DATA_DIR/checkpoint-key`', help: 'the Ed25519 key audit checkpoints are signed with' }),
  checkpointLog: v({ env: 'CHECKPOINT_LOG', parse: file, dflt: under('checkpoints.log'), shown: '`$DATA_DIR/checkpoints.log`', help: 'every signed audit checkpoint, one JSON line each' }),
  checkpointEvery: v({ env: 'CHECKPOINT_EVERY', parse: int(1, 1_000_000), dflt: 100, shown: '`100`', help: 'sign a checkpoint once the audit head is this many entries on' }),
  checkpointIntervalMs: v({ env: 'CHECKPOINT_INTERVAL_MS', parse: int(10, 86_400_000), dflt: 300_000, shown: '`300000`', help: '...and on this timer whenever the head moved' }),
  trustProxy: v({ env: 'TRUST_PROXY', parse: list, dflt: [], shown: '—', help: 'addresses/CIDRs of proxies whose X-Forwarded-For is read' }),
  maxPendingUpgrades: v({ env: 'MAX_PENDING_UPGRADES', parse: int(1, 1_000_000), dflt: 256, shown: '`256`', help: 'websocket upgrades being authenticated at once; more get 503' }),
  headersTimeoutSeconds: v({ env: 'HEADERS_TIMEOUT', parse: int(1, 600), dflt: 10, shown: '`10`', help: 'seconds a client has to send its headers' }),
  requestTimeoutSeconds: v({ env: 'REQUEST_TIMEOUT', parse: int(1, 3600), dflt: 30, shown: '`30`', help: 'seconds a client has to send its whole request' }),
  keepAliveTimeoutSeconds: v({ env: 'KEEP_ALIVE_TIMEOUT', parse: int(1, 600), dflt: 5, shown: '`5`', help: 'seconds an idle keep-alive connection stays open' }),
  maxTokenTtlSeconds: v({ env: 'MAX_TOKEN_TTL', parse: duration(366 * DAY), dflt: 30 * DAY, shown: '`30d`', help: 'the longest lifetime a user token may have' }),
  metricsTokenMaxTtlSeconds: v({ env: 'SAMPLES_TOKEN_MAX_TTL', was: 'METRICS_TOKEN_MAX_TTL', parse: duration(3660 * DAY), dflt: (c) => c.maxTokenTtlSeconds as number, shown: '`MAX_TOKEN_TTL`', help: 'the same for the metrics role (sample reporters), e.g. 365d' }),
  retentionDays: v({ env: 'RETENTION_DAYS', parse: int(1, 36_500), dflt: 30, shown: '`30`', help: 'days raw samples and telemetry rows are kept' }),
  metricNamesPerFlag: v({ env: 'METRIC_NAMES_PER_FLAG', parse: int(1, 1_000_000), dflt: 50, shown: '`50`', help: 'distinct metric names one flag may report' }),
  telemetryMaxEvalsPerSecond: v({ env: 'TELEMETRY_MAX_EVALS_PER_SECOND', parse: int(1, 1_000_000_000), dflt: 1_000_000, shown: '`1000000`', help: 'evaluations per second one SDK connection may report' }),
  metricsRateLimit: v({ env: 'SAMPLES_RATE_LIMIT', was: 'METRICS_RATE_LIMIT', parse: int(1000, 100_000_000), dflt: 10_000, shown: '`10000`', help: 'metric samples per second one token may send; more is a 429' }),
  metricsObservationLimit: v({ env: 'SAMPLES_OBSERVATION_LIMIT', was: 'METRICS_OBSERVATION_LIMIT', parse: int(1000, 1_000_000_000_000), dflt: 1_000_000, shown: '`1000000`', help: "observations (samples' counts) per second one token may claim" }),
  maxSampleCount: v({ env: 'MAX_SAMPLE_COUNT', parse: int(1, 1_000_000_000), dflt: 1_000_000, shown: '`1000000`', help: 'observations one metric sample may claim' }),
  ingestMaxInFlight: v({ env: 'INGEST_MAX_IN_FLIGHT', parse: int(1, 1000), dflt: 8, shown: '`8`', help: 'metric batches one process handles at once; one more is a 503 ingest_busy' }),
  defaultEnvironment: v({
    env: 'DEFAULT_ENVIRONMENT', parse: text, dflt: 'production', shown: '`production`', help: 'the environment every route without /api/envs/:env acts in',
    check: (e) => (/^[a-z][a-z0-9-]{0,31}$/.test(e) ? undefined : `DEFAULT_ENVIRONMENT "${e}" is not an environment key (a lower-case letter, then up to 31 lower-case letters, digits or -)`),
  }),
  oidcIssuer: opt({
    env: 'OIDC_ISSUER', parse: url(/^https?:$/, 'the https URL of your identity provider (its issuer)'), help: 'sign in to the admin UI with this OpenID provider (needs OIDC_CLIENT_ID, PUBLIC_URL)',
    check: (iss, c) => {
      if (iss === undefined) return undefined;
      if (c.oidcClientId === undefined) return 'OIDC_ISSUER is set but OIDC_CLIENT_ID is not: register Switchyard with the provider and set its client id';
      if (c.publicUrl === undefined) return 'OIDC_ISSUER needs PUBLIC_URL: the redirect URI registered with the provider is PUBLIC_URL/auth/callback';
      if (Object.keys(c.oidcRoleMap as object).length === 0 && c.oidcDefaultRole === undefined) return 'OIDC_ISSUER is set but neither OIDC_ROLE_MAP nor OIDC_DEFAULT_ROLE is: every sign-in would be refused';
      return issuerProblem(iss);
    },
  }),
  oidcClientId: opt({ env: 'OIDC_CLIENT_ID', parse: text, help: 'the client id Switchyard is registered under at the provider' }),
  oidcClientSecret: opt({ env: 'OIDC_CLIENT_SECRET', parse: text, help: 'its client secret (unset: a public client, PKCE alone)' }),
  oidcScopes: v({
    env: 'OIDC_SCOPES', parse: text, dflt: 'openid profile email', shown: '`openid profile email`', help: 'the scopes asked for at sign-in',
    check: (s) => (s.split(/\s+/).includes('openid') ? undefined : `OIDC_SCOPES must include openid, got "${s}"`),
  }),
  oidcRoleClaim: v({ env: 'OIDC_ROLE_CLAIM', parse: text, dflt: 'groups', shown: '`groups`', help: 'the claim (a dotted path, e.g. realm_access.roles) roles are mapped from' }),
  oidcRoleMap: v<Record<string, Role>>({ env: 'OIDC_ROLE_MAP', parse: parsedBy(parseRoleMap), dflt: {}, shown: '—', help: 'JSON (or @file) claim value → role, e.g. {"sy-admins":"admin"}; the highest wins' }),
  oidcDefaultRole: opt({ env: 'OIDC_DEFAULT_ROLE', parse: oneOf(ROLES) as Parser<Role>, help: 'the role of a user no rule maps (unset: such a sign-in is refused)' }),
  sessionTtlSeconds: v({ env: 'SESSION_TTL', parse: duration(30 * DAY), dflt: 12 * 3600, shown: '`12h`', help: 'the longest an admin UI session lasts' }),
  sessionIdleTimeoutSeconds: v({ env: 'SESSION_IDLE_TIMEOUT', parse: duration(30 * DAY), dflt: 2 * 3600, shown: '`2h`', help: 'a session unused this long ends' }),
};
