import { sql } from 'kysely';
import type { ReplicaPropagation } from '@switchyard-flags/sdk/protocol';
import type { Db } from '../storage/schema.js';
import type { JobHandle, Jobs } from '../jobs.js';
import type { Logger } from '../log.js';
import type { RemoteAcks } from '../push/propagation.js';
import type { PushEnv } from '../push/push-state.js';
import type { KeyStreamCounts } from '../push/stream-budget.js';
import { acknowledgedAt, behind, figuresIn, histogram, parseFigures, type AckFigures } from './ack-figures.js';
import type { PgChangeBus } from './pg-change-bus.js';
import { parseKeyStreams, sumKeyStreams } from './key-streams.js';
import { heartbeat, listReplicas, pruneReplicas, removeReplica } from './replica-store.js';

export const ACKS_CHANNEL = 'switchyard_acks';
/** A replica silent this many heartbeats is gone. */
export const GONE_AFTER_BEATS = 3;
/** Rows of replicas gone this long are deleted (they were listed as gone until then). */
const FORGET_AFTER_MS = 10 * 60_000;

export interface RegistryDeps {
  db: Db;
  bus: PgChangeBus;
  /** Every environment's push state (server/push/push-state.ts): figures are published and counted per environment. */
  push: AckSource;
  log: Logger;
  id: string;
  name: string;
  url: string;
  heartbeatMs: number;
  /** The scheduler the heartbeat runs on (the `cluster_heartbeat` job, on every replica). */
  jobs: Jobs;
  /** Coalesces figure notices to at most one per this many ms (default 20). */
  coalesceMs?: number;
  /** Runs after each heartbeat (the job lease renews here). */
  onBeat?: () => Promise<unknown>;
  /** The stream budget: its per-key counts go out with each heartbeat, the others' sum comes back (MAX_CONNECTIONS_PER_KEY). */
  streams?: KeyStreamCounts;
}

/** What the registry reads of the push layer: each environment's tracker, as they are made. */
export interface AckSource {
  defaultEnvironment: string;
  envs(): PushEnv[];
  onEnv(listener: (e: PushEnv) => void): () => void;
}

/** Per-environment histograms share the NOTIFY payload (8000 bytes): this many buckets in all. */
const BUCKETS = 48;

interface Other {
  name: string;
  figures: AckFigures;
  /** performance.now() when last heard from (heartbeat row or notice). */
  heardAt: number;
  /** Its live streams per SDK key id, as of its last heartbeat. */
  keyStreams: Record<string, number>;
}

/**
 * This replica's row in `replicas` and what it knows of the others. Every heartbeat it writes
 * its row (SDK count, acknowledgement figures, state version), reads every row, and catches
 * the change bus up; between heartbeats it sends its figures on `NOTIFY switchyard_acks`
 * whenever they move (coalesced) and hears the others' on the bus's listening connection.
 * The tracker asks it for the other replicas' figures (RemoteAcks).
 */
export class ReplicaRegistry implements RemoteAcks {
  readonly self: string;
  private readonly others = new Map<string, Other>();
  private readonly listeners = new Set<() => void>();
  private n = 0;
  private timer?: NodeJS.Timeout;
  private beat?: JobHandle;
  private lastSent = '';
  private closed = false;
  private stops: Array<() => void> = [];

  constructor(private readonly deps: RegistryDeps) {
    this.self = deps.name;
  }

  async start(): Promise<void> {
    await this.deps.bus.listen(ACKS_CHANNEL, (p) => this.onNotice(p));
    this.stops.push(this.deps.push.onEnv((e) => this.stops.push(e.tracker.onPeers(() => this.schedule()), e.tracker.attachRemote(this))));
    this.beat = this.deps.jobs.every('cluster_heartbeat', this.deps.heartbeatMs, () => this.tick(), { firstAfterMs: 0 });
    await this.beat.tick(); // the first beat, already under way: registered before start() resolves
  }

  /** Stops beating without a goodbye: what a replica killed with -9 looks like to the others (tests). */
  halt(): void {
    this.closed = true;
    void this.beat?.stop();
    clearTimeout(this.timer);
  }

  /** Stops beating and removes this replica's row, telling the others at once. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const s of this.stops) s();
    await this.beat?.stop(); // waits for a beat under way
    try {
      await removeReplica(this.deps.db, this.deps.id);
      await this.notify({ r: this.deps.id, bye: true });
    } catch (err) {
      this.deps.log.warn({ err }, 'cluster: could not remove this replica\'s row; the others will see it gone after three heartbeats');
    }
  }

  /** The other replicas' figures among the SDKs of `environment` (their keys' environment). */
  figures(stateVersion: number, environment: string = this.deps.push.defaultEnvironment): ReplicaPropagation[] {
    const now = performance.now();
    const out: ReplicaPropagation[] = [];
    for (const o of this.others.values()) {
      const silent = now - o.heardAt;
      const f = figuresIn(o.figures, environment, this.deps.push.defaultEnvironment);
      if (silent > GONE_AFTER_BEATS * this.deps.heartbeatMs) {
        out.push({ name: o.name, connected: f.connected, acknowledged: 0, pending: 0, status: 'gone', goneForMs: Math.round(silent) });
        continue;
      }
      const acknowledged = Math.min(f.connected, acknowledgedAt(f.applied, stateVersion));
      const unresponsive = behind(f.unresponsive, stateVersion);
      out.push({ name: o.name, connected: f.connected, acknowledged, pending: f.connected - acknowledged, status: 'live', goneForMs: null, ...(unresponsive > 0 && { unresponsive }) });
    }
    return out;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The figures this replica publishes: per environment with SDKs connected or closed as
   * unresponsive (`e`), and the default environment's at the top (what a replica from before
   * environments reads). `total`: every SDK this replica serves (its `sdk_count`).
   */
  own(): AckFigures & { total: number } {
    const def = this.deps.push.defaultEnvironment;
    const envs = this.deps.push.envs().map((x) => ({ x, u: x.tracker.unresponsiveApplied() })).filter(({ x, u }) => x.tracker.peers.size > 0 || u.length > 0 || x.environment === def);
    const cap = Math.max(6, Math.floor(BUCKETS / Math.max(1, envs.length)));
    const e: NonNullable<AckFigures['e']> = {};
    let total = 0;
    for (const { x, u } of envs) {
      const applied: number[] = [];
      for (const p of x.tracker.peers) applied.push(p.applied);
      total += applied.length;
      e[x.environment] = u.length > 0 ? [applied.length, histogram(applied, cap), histogram(u, cap)] : [applied.length, histogram(applied, cap)];
    }
    const main = e[def] ?? [0, []];
    return { n: ++this.n, connected: main[0], applied: main[1], ...(main[2] && { unresponsive: main[2] }), e, total };
  }

  /**
   * One heartbeat (the `cluster_heartbeat` job's run): write our row, read everyone's, catch the
   * bus up, renew the lease. The catch-up and the lease run even when the row could not be
   * written; then the run rejects, so the scheduler logs it and counts it in /metrics.
   */
  async tick(): Promise<void> {
    if (this.closed) return;
    const { db, bus } = this.deps;
    let failure: unknown;
    try {
      const { total, ...own } = this.own();
      const keyStreams = JSON.stringify(this.deps.streams?.keyCounts() ?? {});
      await heartbeat(db, { id: this.deps.id, name: this.deps.name, url: this.deps.url, sdk_count: total, acks: JSON.stringify(own), state_version: bus.stateVersion, key_streams: keyStreams });
      const now = performance.now();
      for (const row of await listReplicas(db)) {
        if (row.id === this.deps.id) continue;
        const figures = parseFigures(row.acks) ?? { n: 0, connected: row.sdk_count, applied: [] };
        const heardAt = now - Number(row.age_ms);
        const keys = parseKeyStreams(row.key_streams);
        const o = this.others.get(row.id);
        if (!o) this.others.set(row.id, { name: row.name, figures, heardAt, keyStreams: keys });
        else {
          if (figures.n > o.figures.n) o.figures = figures;
          o.heardAt = Math.max(o.heardAt, heardAt);
          o.keyStreams = keys;
        }
      }
      this.publishKeyStreams();
      await pruneReplicas(db, FORGET_AFTER_MS);
    } catch (err) {
      failure = err;
    }
    // Every heartbeat also reads whatever a lost notice would have announced.
    await bus.catchUp().catch((err: unknown) => this.deps.log.warn({ err }, 'cluster: catch-up on heartbeat failed'));
    await this.deps.onBeat?.();
    this.changed();
    if (failure !== undefined) throw failure;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const own = this.own();
      const key = JSON.stringify(own.e);
      if (key === this.lastSent) return;
      this.lastSent = key;
      void this.notify({ r: this.deps.id, name: this.deps.name, n: own.n, connected: own.connected, applied: own.applied, ...(own.unresponsive && { unresponsive: own.unresponsive }), e: own.e });
    }, this.deps.coalesceMs ?? 20);
  }

  private async notify(payload: object): Promise<void> {
    try {
      await sql`select pg_notify(${ACKS_CHANNEL}, ${JSON.stringify(payload)})`.execute(this.deps.db);
    } catch (err) {
      this.deps.log.warn({ err }, 'cluster: NOTIFY of acknowledgement figures failed; the next heartbeat carries them');
    }
  }

  private onNotice(payload: string): void {
    let m: { r?: unknown; name?: unknown; bye?: unknown };
    try {
      m = JSON.parse(payload) as typeof m;
    } catch {
      return;
    }
    if (typeof m.r !== 'string' || m.r === this.deps.id) return;
    if (m.bye === true) {
      this.others.delete(m.r);
      this.publishKeyStreams();
      this.changed();
      return;
    }
    const figures = parseFigures(payload);
    if (!figures) return;
    const o = this.others.get(m.r);
    const name = typeof m.name === 'string' ? m.name : (o?.name ?? m.r);
    if (!o) this.others.set(m.r, { name, figures, heardAt: performance.now(), keyStreams: {} });
    else {
      if (figures.n > o.figures.n) o.figures = figures;
      o.heardAt = performance.now();
    }
    this.changed();
  }

  /** Tells the stream budget the live other replicas' streams per SDK key (a gone replica's no longer count). */
  private publishKeyStreams(): void {
    const now = performance.now();
    const live = [...this.others.values()].filter((o) => now - o.heardAt <= GONE_AFTER_BEATS * this.deps.heartbeatMs);
    this.deps.streams?.elsewhere(sumKeyStreams(live.map((o) => o.keyStreams)));
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

