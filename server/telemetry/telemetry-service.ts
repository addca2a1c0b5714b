import { envOr, type EnvDeps } from '../environments/default-environment.js';
import type { StaleFlagsView, StageUsageView, UsageView } from '@switchyard-flags/sdk/api';
import type { TelemetryCount, TelemetryReach } from '@switchyard-flags/sdk/protocol';
import { estimateReach, mergeRegs } from '@switchyard-flags/sdk/reach';
import { monotonicOf, type Clock } from '../clock.js';
import type { Db } from '../storage/schema.js';
import type { StorageLane } from '../storage/storage.js';
import { NotFound } from '../errors.js';
import { getFlagRow } from '../flags/flag-store.js';
import { parsePlan, stagePercent } from '../flags/flag-view.js';
import type { Logger } from '../log.js';
import { DEFAULT_EVALS_PER_SECOND, ReportWindows, type OnRefused, type RefusalReason } from './telemetry-bounds.js';
import { addReach, reachOf, type ReachRow } from './reach-store.js';
import { addUsage, staleFlags, usageOf, type UsageRow } from './usage-store.js';

/** Where the push layer hands the counts of a valid `telemetry` message. */
export interface TelemetrySink {
  /**
   * `source` is the connection the report came on (its reports' spacing bounds what it may claim);
   * `environment` the reporting SDK key's (default: DEFAULT_ENVIRONMENT): usage and reach are kept per environment.
   */
  record(counts: readonly TelemetryCount[], reach?: readonly TelemetryReach[], source?: object, environment?: string): void;
}

const VARIANTS = ['on', 'off', 'fallback'] as const;
/** Distinct (flag, stage, variant, day) rows held between flushes; beyond this new rows are dropped (and logged). */
const MAX_PENDING = 50_000;
const DAY_MS = 86_400_000;

/** The shapes of `GET /api/flags/:key/usage` and `GET /api/stale-flags`, shared with the admin UI (sdk/src/api.ts). */
export type StageUsage = StageUsageView;
export type FlagUsage = UsageView;
export type StaleFlags = StaleFlagsView;

/**
 * Evaluation telemetry: counts from SDK sockets are summed in memory and written in one
 * transaction per flush (every few seconds, and on shutdown). Telemetry is data, not a
 * change: nothing here is audited, announced or versioned. The `telemetry_flush` job
 * (server/server-jobs.ts) calls `tick()` (a flush that rejects when a write failed); the server flushes a last time on close.
 */
export class TelemetryService implements TelemetrySink {
  /** Counts per (environment, flag, stage, variant, day), summed until the next flush. */
  private pending = new Map<string, UsageRow & { env: string }>();
  /** Distinct-user registers per (environment, flag, stage, day), merged until the next flush. */
  private reach = new Map<string, ReachRow & { env: string }>();
  private dropped = 0;
  private flushing: Promise<number> = Promise.resolve(0);
  /** The last write that failed since the job's run began (its counts were kept for the next flush). */
  private failure: unknown;
  private readonly db: Db;

  private readonly windows: ReportWindows;
  private readonly evalsPerSecond: number;

  constructor(private readonly deps: { db: Db; storage: StorageLane; clock: Clock; log: Logger; evalsPerSecond?: number; onRefused?: OnRefused } & EnvDeps) {
    this.db = deps.db;
    this.windows = new ReportWindows(monotonicOf(deps.clock));
    this.evalsPerSecond = deps.evalsPerSecond ?? DEFAULT_EVALS_PER_SECOND;
  }

  /** False when the report claims more than one client can serve in its window: then none of it is kept. */
  private plausible(counts: readonly TelemetryCount[], reach: readonly TelemetryReach[], source: object | undefined): boolean {
    const most = this.evalsPerSecond * this.windows.seconds(source);
    let total = 0;
    for (const c of counts) total += c.on + c.off + c.fallback;
    if (total > most) return this.refuse('implausible_count', { evaluations: total, most });
    for (const r of reach) {
      const users = estimateReach(Buffer.from(r.regs, 'hex'));
      if (users > most) return this.refuse('implausible_reach', { flag: r.key, users, most });
    }
    return true;
  }

  private refuse(reason: RefusalReason, detail: Record<string, unknown>): false {
    this.deps.onRefused?.(reason, 1);
    this.deps.log.warn({ reason, ...detail }, 'telemetry: a report claims more than one client can serve; refused');
    return false;
  }

  record(counts: readonly TelemetryCount[], reach: readonly TelemetryReach[] = [], source?: object, environment?: string): void {
    if (!this.plausible(counts, reach, source)) return;
    const env = envOr(this.deps, environment);
    const now = this.deps.clock().toISOString();
    const day = now.slice(0, 10);
    for (const r of reach) {
      const regs = Buffer.from(r.regs, 'hex');
      const id = `${env}\n${r.key}\n${r.stage}\n${day}`;
      const row = this.reach.get(id);
      if (row) mergeRegs(row.regs, regs);
      else if (this.reach.size < MAX_PENDING) this.reach.set(id, { env, flag: r.key, stage: r.stage, day, regs: new Uint8Array(regs) });
      else this.dropped++;
    }
    for (const c of counts) {
      for (const variant of VARIANTS) {
        const n = c[variant];
        if (n <= 0) continue;
        const id = `${env}\n${c.key}\n${c.stage}\n${variant}\n${day}`;
        const row = this.pending.get(id);
        if (row) {
          row.count += n;
          row.lastSeenAt = now;
        } else if (this.pending.size < MAX_PENDING) {
          this.pending.set(id, { env, flag: c.key, stage: c.stage, variant, day, count: n, lastSeenAt: now });
        } else this.dropped++;
      }
    }
  }

  /** Writes what was recorded since the last flush in one transaction; resolves with the rows written. Flushes never overlap. */
  flush(): Promise<number> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  /** The `telemetry_flush` job's run: a flush that rejects when a write failed, so the scheduler logs and counts it. */
  async tick(): Promise<void> {
    this.failure = undefined;
    await this.flush();
    if (this.failure !== undefined) throw this.failure;
  }

  private async write(): Promise<number> {
    if (this.dropped) {
      this.deps.log.warn({ dropped: this.dropped }, 'telemetry: too many distinct rows between flushes; some counts were dropped');
      this.dropped = 0;
    }
    const sketches = this.reach;
    this.reach = new Map();
    if (sketches.size) {
      try {
        for (const [env, rows] of byEnv(sketches)) await addReach(this.deps.storage, env, rows, this.deps.onRefused);
      } catch (err) {
        this.failure = err;
        for (const [id, row] of sketches) {
          const later = this.reach.get(id);
          if (later) mergeRegs(later.regs, row.regs);
          else this.reach.set(id, row);
        }
        this.deps.log.warn({ err }, 'telemetry: reach flush failed; retrying with the next one');
      }
    }
    if (!this.pending.size) return 0;
    const batch = this.pending;
    this.pending = new Map();
    try {
      let written = 0;
      for (const [env, rows] of byEnv(batch)) written += await addUsage(this.deps.storage, env, rows, this.deps.onRefused);
      return written;
    } catch (err) {
      this.failure = err;
      // Keep the counts for the next flush rather than lose them to a busy database.
      for (const [id, row] of batch) {
        const later = this.pending.get(id);
        if (later) {
          later.count += row.count;
        } else this.pending.set(id, row);
      }
      this.deps.log.warn({ err }, 'telemetry: flush failed; retrying with the next one');
      return 0;
    }
  }

  async usage(key: string, days?: number, scope?: string): Promise<FlagUsage> {
    const env = envOr(this.deps, scope);
    const flag = await getFlagRow(this.deps.db, env, key);
    if (!flag) throw new NotFound(`flag "${key}" does not exist`);
    await this.flush(); // read what the SDKs reported, not what the last timer tick wrote
    const since = days === undefined ? undefined : new Date(this.deps.clock().getTime() - (days - 1) * DAY_MS).toISOString().slice(0, 10);
    const plan = parsePlan(flag);
    const stages = new Map<number, StageUsage>();
    for (const t of await usageOf(this.db, env, key, since)) {
      let s = stages.get(t.stage);
      if (!s) {
        s = { stage: t.stage, percent: stagePercent(plan, t.stage), evaluations: 0, on: 0, off: 0, fallback: 0, users: null, lastEvaluatedAt: null };
        stages.set(t.stage, s);
      }
      const n = Number(t.count);
      if (t.variant === 'on' || t.variant === 'off' || t.variant === 'fallback') s[t.variant] += n;
      s.evaluations += n;
      if (s.lastEvaluatedAt === null || t.lastSeenAt > s.lastEvaluatedAt) s.lastEvaluatedAt = t.lastSeenAt;
    }
    const reached = await reachOf(this.db, env, key, since);
    const all = new Uint8Array(64);
    for (const [stage, regs] of reached) {
      const s = stages.get(stage);
      if (s) s.users = estimateReach(regs);
      mergeRegs(all, regs);
    }
    const list = [...stages.values()];
    const last = list.reduce<string | null>((m, s) => (s.lastEvaluatedAt !== null && (m === null || s.lastEvaluatedAt > m) ? s.lastEvaluatedAt : m), null);
    return {
      key,
      stage: flag.stage,
      days: days ?? null,
      evaluations: list.reduce((n, s) => n + s.evaluations, 0),
      users: reached.size ? estimateReach(all) : null,
      lastEvaluatedAt: last,
      stages: list,
    };
  }

  /** Live flags not evaluated for `days` days (never-evaluated flags count once they are that old). */
  async stale(days: number, env?: string): Promise<StaleFlags> {
    await this.flush();
    const cutoff = new Date(this.deps.clock().getTime() - days * DAY_MS).toISOString();
    return { days, cutoff, flags: await staleFlags(this.db, envOr(this.deps, env), cutoff) };
  }
}

/** Rows to flush grouped by environment (each environment's rows are one write). */
function byEnv<R extends { env: string }>(rows: Map<string, R>): Map<string, Array<Omit<R, 'env'>>> {
  const out = new Map<string, Array<Omit<R, 'env'>>>();
  for (const { env, ...row } of rows.values()) {
    let list = out.get(env);
    if (!list) out.set(env, (list = []));
    list.push(row);
  }
  return out;
}
