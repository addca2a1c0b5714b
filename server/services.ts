import { AuditRecorder } from './audit/audit-recorder.js';
import { AuditService } from './audit/audit-service.js';
import type { ExportSource } from './audit/audit-export.js';
import { SdkKeyService } from './auth/sdk-keys.js';
import { TokenRevocationService } from './auth/token-revocations.js';
import type { RevocationList } from './auth/revocation-list.js';
import type { ChangeBus } from './changes.js';
import { steadyClock, type Clock, type SteadyClock } from './clock.js';
import { DEFAULT_HEARTBEAT_MS } from './flags/flag-service.js';
import type { StorageLane } from './storage/storage.js';
import { FlagService } from './flags/flag-service.js';
import { KillService } from './killswitch/kill-service.js';
import type { Logger } from './log.js';
import { Retention } from './retention.js';
import { createPushState, type PushState } from './push/push-state.js';
import { SampleService, type SampleLimits } from './samples/sample-service.js';
import { Guardrails } from './rollout/guardrails.js';
import { metricRanges } from './rollout/metric-ranges.js';
import { PlanService } from './rollout/plan-service.js';
import { PromotionService } from './rollout/promotion-service.js';
import { RolloutScheduler } from './rollout/rollout-scheduler.js';
import { RolloutService } from './rollout/rollout-service.js';
import { SignoffLapses } from './rollout/signoff-evidence.js';
import type { AllowEntry } from './rollout/webhook-destination.js';
import { WebhookNotifier } from './rollout/webhook-notifier.js';
import type { OnRefused } from './telemetry/telemetry-bounds.js';
import { TelemetryService } from './telemetry/telemetry-service.js';
import { OfrepService } from './ofrep/ofrep-service.js';
import { FALLBACK_ENVIRONMENT } from './environments/default-environment.js';
import { EnvironmentService } from './environments/environment-service.js';
import { fillEnvironment } from './flags/flag-environment-rows.js';
import type { LimitStores } from './limits/limit-stores.js';
import { SessionService, type SessionSettings } from './auth/session-service.js';
import { OidcSignIn } from './auth/oidc-sign-in.js';
import type { OidcSettings } from './auth/oidc-client.js';
import type { RoleMapping } from './auth/oidc-roles.js';
import crypto from 'node:crypto';

export interface ServiceDeps {
  /** The database: its Kysely handle, write gate, locks (server/storage/). */
  storage: StorageLane;
  clock: Clock;
  bus: ChangeBus;
  log: Logger;
  /** Server-wide webhook for rollout notices (config.webhookUrl). */
  webhookUrl?: string;
  /** Signs every webhook delivery; without one (one-off CLI commands) no webhook is delivered. */
  webhookSecret?: string;
  /** Internal webhook destinations allowed (config.webhookAllow). */
  webhookAllow?: readonly AllowEntry[];
  /** Told the duration of every write transaction (for the Prometheus histogram). */
  observeWrite?: (seconds: number) => void;
  /** Metric ingestion limits (config.metricNamesPerFlag, config.metricsRateLimit). */
  sampleLimits?: SampleLimits;
  /** Where rate limits count: PostgreSQL shared by the replicas, or memory (default; server/limits/limit-stores.ts). */
  limits?: LimitStores;
  /** Days raw samples and telemetry are kept (config.retentionDays). */
  retentionDays?: number;
  /** Evaluations per second one SDK connection may report (config.telemetryMaxEvalsPerSecond). */
  telemetryEvalsPerSecond?: number;
  /** Told of each refused piece of telemetry (for the Prometheus counter). */
  onTelemetryRefused?: OnRefused;
  /** OFREP event streams one SDK key may hold open (config.maxConnectionsPerKey, as its websockets). */
  eventStreamsPerKey?: number;
  /** The signing secret (SECRET_FILE): OFREP event-stream tokens are keyed from it, so any replica honours them. */
  signingSecret?: Uint8Array;
  /** The in-memory list of revoked tokens requests are checked against (main.ts builds it). */
  revocations?: RevocationList;
  /** The push heartbeat (config.heartbeatMs): a flag's lease must outlast two of them. */
  heartbeatMs?: number;
  /** DEFAULT_ENVIRONMENT: what every route without `/api/envs/:env` acts in (`production` unless set). */
  defaultEnvironment?: string;
  /** SESSION_TTL and SESSION_IDLE_TIMEOUT (default 12 h and 2 h). */
  sessions?: SessionSettings;
  /** Sign-in with an identity provider (OIDC_*), when configured. */
  oidc?: { settings: OidcSettings; mapping: RoleMapping };
  /** Where an audit export's worker thread reads (server/audit/audit-export.ts); unset: the main thread reads. */
  auditExport?: ExportSource;
}

export interface Services {
  /** Environments as data (issue 23) and the scope every flag route resolves its environment through. */
  environments: EnvironmentService;
  flags: FlagService;
  kills: KillService;
  audit: AuditService;
  sdkKeys: SdkKeyService;
  /** Revoked user tokens (POST /api/tokens/revoke, `switchyard revoke-token`). */
  tokens: TokenRevocationService;
  plans: PlanService;
  /** Promotion of a plan from one environment to another, and the compare board (issue 23). */
  promotions: PromotionService;
  rollouts: RolloutService;
  /** Metric samples reported by the app (not Prometheus metrics: those are server/observability/). */
  samples: SampleService;
  scheduler: RolloutScheduler;
  webhooks: WebhookNotifier;
  /** Push state (what SDKs are served, who acknowledged what); `start()` it before serving. */
  push: PushState;
  /** Evaluation counts reported by SDKs (not audited: data, not a change). */
  telemetry: TelemetryService;
  /** OFREP evaluation over the push state (server/ofrep/), counted into `telemetry`. */
  ofrep: OfrepService;
  /** Prunes raw samples and telemetry older than the retention, through the write gate. */
  retention: Retention;
  /** The server's steady time every service reads (and how far the wall clock moved from it). */
  clock: SteadyClock;
  /** Admin UI sessions (server/auth/session-service.ts). */
  sessions: SessionService;
  /** Sign-in with the identity provider; undefined without OIDC_ISSUER. */
  oidc?: OidcSignIn;
}

/** Wires every service with the narrow dependencies it needs. */
export function createServices(input: ServiceDeps): Services {
  // Every service reads the server's steady time: a wall-clock step after start moves none of it.
  const defaultEnvironment = input.defaultEnvironment ?? FALLBACK_ENVIRONMENT;
  const deps = { ...input, db: input.storage.db, clock: steadyClock(input.clock), defaultEnvironment };
  const recorder = new AuditRecorder(deps.clock, deps.storage);
  const write = { db: deps.db, storage: deps.storage, audit: recorder, bus: deps.bus, clock: deps.clock, observeWrite: deps.observeWrite, defaultEnvironment };
  const push = createPushState({ db: deps.db, bus: deps.bus, log: deps.log, defaultEnvironment });
  const lapses = new SignoffLapses(write);
  // The push tracker reaches the rollout domain through this port; rollout/ never imports push/.
  // Each environment's figures count its own SDK keys' connections only (server/push/push-state.ts).
  const convergence = (env: string, key: string) => {
    const where = push.env(env);
    // An environment made after start is loaded on first use (its SDKs' upgrades load it too); until then nothing is known here.
    void where.start().catch((err: unknown) => deps.log.warn({ err, env }, 'push: loading an environment\'s flag state failed'));
    const { tracker } = where;
    const figures = tracker.of(key);
    if (!figures) return undefined;
    return { stateVersion: figures.stateVersion, connected: figures.connected, applied: figures.applied, notApplied: tracker.notApplied(figures.stateVersion) };
  };
  const rollouts = new RolloutService(write, { convergence, lapses });
  const guardrails = new Guardrails(write);
  const webhooks = new WebhookNotifier({ defaultEnvironment, db: deps.db, log: deps.log, url: deps.webhookUrl, secret: deps.webhookSecret ?? '', allow: deps.webhookAllow, clock: deps.clock });
  if (deps.webhookSecret !== undefined) webhooks.attach(deps.bus);
  const telemetry = new TelemetryService({ defaultEnvironment, db: deps.db, storage: deps.storage, clock: deps.clock, log: deps.log, evalsPerSecond: deps.telemetryEvalsPerSecond, onRefused: deps.onTelemetryRefused });
  const ofrep = new OfrepService({ push, telemetry, bus: deps.bus, db: deps.db, clock: deps.clock, streamsPerKey: deps.eventStreamsPerKey, signingSecret: deps.signingSecret });
  // Propagation figures list OFREP clients apart (push/ never imports ofrep/: a port).
  push.onEnv((e) => {
    e.tracker.others = (stateVersion) => ofrep.propagation(stateVersion, e.environment);
  });
  // CSRF tokens and sealed login flows are keyed from the signing secret, so every replica derives the same.
  const key = deps.signingSecret ?? crypto.randomBytes(32);
  const sessions = new SessionService({ ...write, clock: deps.clock, key, settings: deps.sessions ?? { ttlSeconds: 12 * 3600, idleSeconds: 2 * 3600 } });
  const oidc = deps.oidc && new OidcSignIn(deps.oidc.settings, deps.oidc.mapping, sessions, key, deps.log);
  const environments = new EnvironmentService(write, defaultEnvironment, fillEnvironment);
  return {
    environments,
    sessions,
    ...(oidc ? { oidc } : {}),
    flags: new FlagService(write, { heartbeatMs: deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS }),
    kills: new KillService(write),
    audit: new AuditService(deps.db, deps.auditExport),
    sdkKeys: new SdkKeyService(write),
    tokens: new TokenRevocationService({ ...write, revocations: deps.revocations }),
    plans: new PlanService({ ...write, webhookAllow: deps.webhookAllow ?? [] }),
    promotions: new PromotionService({ ...write, convergence, scope: (env) => environments.scope(env) }),
    rollouts,
    // The rollout domain reacts to fresh samples through this port; samples/ never imports rollout/.
    // After each batch: guardrails first (a trip is a safety action), then sign-offs whose evidence moved lapse.
    samples: new SampleService(write, deps.sampleLimits, async (env, fresh, requestId) => {
      const trips = await guardrails.check(env, fresh, requestId);
      await lapses.evaluate(env, fresh.map((s) => s.flag), requestId);
      return trips;
    }, metricRanges, deps.limits, (err) => deps.log.warn({ err }, 'limits: the shared sample rate limit could not be counted; this batch counted in this replica only')),
    scheduler: new RolloutScheduler({ ...write, log: deps.log }, rollouts),
    webhooks,
    push,
    telemetry,
    ofrep,
    clock: deps.clock,
    retention: new Retention({ db: deps.db, storage: deps.storage, clock: deps.clock, log: deps.log, days: deps.retentionDays ?? 30 }),
  };
}
