import { PreparedFlag } from '@switchyard-flags/sdk/evaluate';
import type { EvaluationContext } from '@switchyard-flags/sdk/protocol';
import type { PushState } from '../push/push-state.js';
import { bulkEtag, ofrepEvaluate, switchyardContext, type OfrepResult } from './ofrep-evaluation.js';
import { OfrepUsage } from './ofrep-usage.js';
import type { TelemetrySink } from '../telemetry/telemetry-service.js';
import type { ChangeBus } from '../changes.js';
import type { Db } from '../storage/schema.js';
import { getSdkKeyRow } from '../auth/sdk-key-store.js';
import { OfrepEvents } from './ofrep-events.js';
import type { Clock } from '../clock.js';
import type { OfrepPropagation } from '@switchyard-flags/sdk/protocol';

export interface BulkAnswer {
  etag: string;
  flags: OfrepResult[];
}

/**
 * OFREP evaluation over the push layer's in-memory flag state (the state the SDK stream sends):
 * each flag is prepared once per state version, so an evaluation touches no database.
 */
/** One environment's flags, each prepared once per state version. */
interface Prepared {
  at: number;
  flags: Map<string, PreparedFlag>;
}

/**
 * OFREP evaluation over the push layer's in-memory flag state (the state the SDK stream sends):
 * each flag is prepared once per state version, so an evaluation touches no database. Every
 * answer is of one environment, the SDK key's (the routes pass `principal.environment`; nothing
 * in the request chooses another).
 */
export class OfrepService {
  private readonly prepared = new Map<string, Prepared>();
  readonly usage: OfrepUsage;
  readonly events: OfrepEvents;

  /** Per environment: OFREP answers served per state version (the latest 512 versions), and the latest one's time. */
  private readonly served = new Map<string, { byVersion: Map<number, number>; last: { version: number; at: string } | null }>();

  constructor(private readonly deps: { push: PushState; bus: ChangeBus; db: Db; clock: Clock; telemetry?: TelemetrySink; streamsPerKey?: number; signingSecret?: Uint8Array }) {
    this.usage = new OfrepUsage(deps.telemetry);
    this.events = new OfrepEvents({ push: deps.push, bus: deps.bus, perKey: deps.streamsPerKey ?? 10_000, signingSecret: deps.signingSecret });
  }

  /** Whether the SDK key with this id exists and is not revoked. */
  async keyIsLive(keyId: string): Promise<boolean> {
    return (await this.liveKeyEnvironment(keyId)) !== undefined;
  }

  /** The environment of the live (not revoked) SDK key with this id (an event stream's token names it), else undefined. */
  async liveKeyEnvironment(keyId: string): Promise<string | undefined> {
    const row = await getSdkKeyRow(this.deps.db, keyId);
    return row !== undefined && row.revoked_at === null ? row.environment : undefined;
  }

  private servedIn(env: string) {
    let s = this.served.get(env);
    if (!s) this.served.set(env, (s = { byVersion: new Map(), last: null }));
    return s;
  }

  private noteServed(env: string, version: number): void {
    const s = this.servedIn(env);
    s.byVersion.set(version, (s.byVersion.get(version) ?? 0) + 1);
    if (s.byVersion.size > 512) s.byVersion.delete(s.byVersion.keys().next().value!);
    s.last = { version, at: this.deps.clock().toISOString() };
  }

  /** What OFREP clients of `env` were given of the change at `stateVersion` (they acknowledge nothing). */
  propagation(stateVersion: number, env: string = this.deps.push.defaultEnvironment): OfrepPropagation {
    const s = this.servedIn(env);
    let fetchedSince = 0;
    for (const [v, n] of s.byVersion) if (v >= stateVersion) fetchedSince += n;
    return { streams: this.events.sizeIn(env), fetchedSince, lastFetchedVersion: s.last?.version ?? null, lastFetchedAt: s.last?.at ?? null };
  }

  /** Ends every event stream and hands the last counts to telemetry (shutdown). */
  close(): void {
    this.events.close();
    this.usage.flush();
  }

  private async feedOf(env: string) {
    const where = this.deps.push.env(env);
    await where.start();
    return where.feed;
  }

  /** The state version answers in `env` are computed from. */
  async version(env: string): Promise<number> {
    return (await this.feedOf(env)).version;
  }

  private async flags(env: string): Promise<Prepared> {
    const feed = await this.feedOf(env);
    let p = this.prepared.get(env);
    if (!p || feed.version !== p.at) {
      const flags = new Map<string, PreparedFlag>();
      const snapshot = feed.snapshot();
      for (const f of snapshot.flags) flags.set(f.key, new PreparedFlag(f));
      this.prepared.set(env, (p = { at: snapshot.version, flags }));
    }
    return p;
  }

  /** One flag of `env` for the context an OFREP client sent. */
  async single(env: string, key: string, context: Record<string, unknown> | undefined): Promise<OfrepResult> {
    const p = await this.flags(env);
    const flag = p.flags.get(key);
    const { result, evaluation } = ofrepEvaluate(key, flag, switchyardContext(context));
    if (flag) this.usage.count(env, flag, evaluation.reason);
    this.noteServed(env, p.at);
    return result;
  }

  /** Every flag of `env` for the context, with the ETag of that answer (state version + canonical context). */
  async bulk(env: string, context: Record<string, unknown> | undefined): Promise<BulkAnswer> {
    const p = await this.flags(env);
    const ctx: EvaluationContext = switchyardContext(context);
    const out: OfrepResult[] = [];
    for (const [key, flag] of p.flags) {
      const { result, evaluation } = ofrepEvaluate(key, flag, ctx);
      this.usage.count(env, flag, evaluation.reason);
      out.push(result);
    }
    this.noteServed(env, p.at);
    return { etag: bulkEtag(p.at, context), flags: out };
  }

  /** A 304 told a client its answer is current: that is a fetch of the current version too. */
  notModified(env: string): void {
    const p = this.prepared.get(env);
    if (p) this.noteServed(env, p.at);
  }

  /** The ETag a bulk answer in `env` for this context would carry now, without evaluating (for a 304). */
  async bulkEtag(env: string, context: Record<string, unknown> | undefined): Promise<string> {
    return bulkEtag((await this.flags(env)).at, context);
  }
}
