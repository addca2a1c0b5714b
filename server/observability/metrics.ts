import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestHandler } from 'express';
import type { ChangeBus } from '../changes.js';

/** The kill path's own routes (paths of the route table), whose latency and failures /metrics reports apart. */
const KILL_ROUTES = new Set(['/api/flags/:key/kill', '/api/kill']);

/** Default gauges named like counters; their per-type gauges carry the same figures. */
const DUPLICATE_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * Every Prometheus metric Switchyard exports, on a registry of its own (never the global
 * one, so two servers in one process — as in tests — do not share counters).
 */
export class Prometheus {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'switchyard_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'switchyard_http_request_duration_seconds',
    help: 'HTTP request latency by route and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly dbWriteDuration = new Histogram({
    name: 'switchyard_db_write_duration_seconds',
    help: 'Time of each write transaction (change + audit entry), commit included',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly telemetryRefused = new Counter({
    name: 'switchyard_telemetry_refused_total',
    help: 'SDK telemetry refused: counts for unknown flags or stages, reports claiming more than one client can serve, on at stage 0',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly auditEntries = new Counter({
    name: 'switchyard_audit_entries_total',
    help: 'Audit entries written, by action',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  readonly flagActions = new Counter({
    name: 'switchyard_flag_actions_total',
    help: 'Kills, restores, advances, rollbacks, pauses and guardrail trips, by action',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'switchyard_job_duration_seconds',
    help: 'Time of each run of a periodic job (server/jobs.ts: auto_advance, retention, audit_checkpoint, telemetry_flush, wal_checkpoint, cluster_heartbeat), failed runs included',
    labelNames: ['job'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [this.registry],
  });

  readonly jobFailures = new Counter({
    name: 'switchyard_job_failures_total',
    help: 'Runs of a periodic job that failed (each logged at error with the job name, repeats at most once a minute)',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });

  /** The scheduler's observer (server/jobs.ts): a job's failures series exists, at 0, from its first run. */
  jobRan(job: string, seconds: number, failed: boolean): void {
    this.jobDuration.observe({ job }, seconds);
    this.jobFailures.inc({ job }, failed ? 1 : 0);
  }

  /** Where the gauges read live figures from at scrape time; bound once the push layer exists. */
  readonly sources: {
    sdkConnections?: () => number;
    unacknowledged?: () => Iterable<[flag: string, pending: number]>;
    dbWritable?: () => boolean;
    httpConnections?: () => number;
    streams?: () => Iterable<[kind: string, n: number]>;
    lockHeld?: () => boolean;
    clockSkewSeconds?: () => number;
    auditCheckpointRefused?: () => boolean;
  } = {};

  readonly auditCheckpointRefused = new Gauge({
    name: 'switchyard_audit_checkpoint_refused',
    help: '1 while this server refuses to sign audit checkpoints (the chain does not verify, or the checkpoint it last signed is missing from the database), else 0',
    registers: [this.registry],
    collect: () => {
      const refused = this.sources.auditCheckpointRefused?.();
      if (refused !== undefined) this.auditCheckpointRefused.set(refused ? 1 : 0);
    },
  });

  readonly dataDirLockHeld = new Gauge({
    name: 'switchyard_data_dir_lock_held',
    help: '1 while this server holds its DATA_DIR lock file, 0 once it was removed or taken over',
    registers: [this.registry],
    collect: () => {
      const held = this.sources.lockHeld?.();
      if (held !== undefined) this.dataDirLockHeld.set(held ? 1 : 0);
    },
  });

  readonly httpConnections = new Gauge({
    name: 'switchyard_http_connections',
    help: 'TCP connections open on the main listener now (websockets included); capped by MAX_CONNECTIONS',
    registers: [this.registry],
    collect: () => {
      const n = this.sources.httpConnections?.();
      if (n !== undefined) this.httpConnections.set(n);
    },
  });

  readonly connectionsEvicted = new Counter({
    name: 'switchyard_http_connections_evicted_total',
    help: 'Connections closed at MAX_CONNECTIONS: idle or header-less sockets evicted for a new one (or the new one refused)',
    registers: [this.registry],
  });

  readonly streams = new Gauge({
    name: 'switchyard_streams',
    help: 'Long-lived streams held now, by kind (sdk websockets, ofrep event streams, admin websockets); all together capped by MAX_STREAMS',
    labelNames: ['kind'] as const,
    registers: [this.registry],
    collect: () => {
      const figures = this.sources.streams?.();
      if (figures) for (const [kind, n] of figures) this.streams.set({ kind }, n);
    },
  });

  readonly streamEvictions = new Counter({
    name: 'switchyard_stream_evictions_total',
    help: 'Long-lived streams evicted for a newer one, by the cap reached (key: MAX_CONNECTIONS_PER_KEY, user: MAX_ADMIN_STREAMS_PER_USER, address: MAX_STREAMS_PER_ADDRESS, budget: MAX_STREAMS, connections: MAX_CONNECTIONS; replicas: a newcomer refused, its key holding MAX_CONNECTIONS_PER_KEY on the other replicas) and kind',
    labelNames: ['cap', 'kind'] as const,
    registers: [this.registry],
  });

  readonly upgradesRefused = new Counter({
    name: 'switchyard_upgrades_refused_total',
    help: 'Websocket upgrades refused with 503 because MAX_PENDING_UPGRADES were being authenticated',
    registers: [this.registry],
  });

  readonly sdkUnresponsive = new Counter({
    name: 'switchyard_sdk_unresponsive_total',
    help: 'SDK connections closed because they did not acknowledge what they were sent within ACK_TIMEOUT_MS',
    registers: [this.registry],
  });

  readonly dbWriteOk = new Gauge({
    name: 'switchyard_db_write_ok',
    help: '1 while the database takes writes (the last write or readiness probe committed), 0 while it refuses them',
    registers: [this.registry],
    collect: () => {
      const ok = this.sources.dbWritable?.();
      if (ok !== undefined) this.dbWriteOk.set(ok ? 1 : 0);
    },
  });

  readonly lastKillSeconds = new Gauge({
    name: 'switchyard_last_kill_seconds',
    help: 'How long the most recent kill request (one flag or bulk) took to answer',
    registers: [this.registry],
  });

  readonly killFailures = new Counter({
    name: 'switchyard_kill_failures_total',
    help: 'Kill requests that failed on the server side (5xx), by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly clockSkew = new Gauge({
    name: 'switchyard_clock_skew_seconds',
    help: "How far the host's wall clock has moved from the server's steady time (monotonic since start) since start; stage ages and soaks follow the steady time",
    registers: [this.registry],
    collect: () => {
      const s = this.sources.clockSkewSeconds?.();
      if (s !== undefined) this.clockSkew.set(s);
    },
  });

  readonly sdkConnections = new Gauge({
    name: 'switchyard_sdk_connections',
    help: 'SDK websocket connections open now',
    registers: [this.registry],
    collect: () => {
      const n = this.sources.sdkConnections?.();
      if (n !== undefined) this.sdkConnections.set(n);
    },
  });

  readonly pushFanout = new Histogram({
    name: 'switchyard_push_fanout_seconds',
    help: 'Time to write one change to every connected SDK socket',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly unacknowledged = new Gauge({
    name: 'switchyard_sdk_unacknowledged',
    help: "Connected SDKs that have not yet acknowledged the flag's latest change",
    labelNames: ['flag'] as const,
    registers: [this.registry],
    collect: () => {
      const figures = this.sources.unacknowledged?.();
      if (!figures) return;
      this.unacknowledged.reset();
      for (const [flag, pending] of figures) this.unacknowledged.set({ flag }, pending);
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_' });
    // prom-client names these three gauges `..._total`, a counter's suffix (promtool check
    // metrics refuses them); each is the sum of its per-type gauge without the suffix
    // (`sum(switchyard_nodejs_active_handles)`), which stays.
    for (const name of DUPLICATE_TOTALS) this.registry.removeSingleMetric(`switchyard_${name}`);
  }

  /** Counts audit entries and safety/rollout actions as they are announced after commit. */
  watch(bus: ChangeBus): () => void {
    return bus.subscribe((e) => {
      // Counted by the replica that committed it: summed over replicas, each entry counts once.
      if (e.type !== 'audit' || e.remote) return;
      this.auditEntries.inc({ action: e.entry.action });
      if (/^(flag\.(kill|restore)|rollout\.)/.test(e.entry.action)) this.flagActions.inc({ action: e.entry.action });
    });
  }

  /**
   * Request counts and latency, labelled by the route table's path of the matched route
   * (`mount()` puts it in `res.locals.route` before any check can fail, so a 404 or 403 on a
   * route carries the same label as its 200s); `unmatched` for everything else (bounded cardinality).
   */
  httpMiddleware(): RequestHandler {
    return (req, res, next) => {
      const start = process.hrtime.bigint();
      res.once('finish', () => {
        const labelled: unknown = res.locals.route;
        const route = typeof labelled === 'string' ? labelled : 'unmatched';
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        this.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
        this.httpDuration.observe({ route, method: req.method }, seconds);
        if (req.method === 'POST' && KILL_ROUTES.has(route)) {
          this.lastKillSeconds.set(seconds);
          if (res.statusCode >= 500) this.killFailures.inc({ status: String(res.statusCode) });
        }
      });
      next();
    };
  }
}
