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
export class OfrepService {
  private prepared = new Map<string, PreparedFlag>();
  private preparedAt = -1;
  readonly usage: OfrepUsage;
  readonly events: OfrepEvents;

  /** OFREP answers served per state version (the latest 512 versions), and the latest one's time. */
  private readonly served = new Map<number, number>();
  private lastServed: { version: number; at: string } | null = null;

  constructor(private readonly deps: { push: PushState; bus: ChangeBus; db: Db; clock: Clock; telemetry?: TelemetrySink; streamsPerKey?: number; signingSecret?: Uint8Array }) {
    this.usage = new OfrepUsage(deps.telemetry);
    this.events = new OfrepEvents({ feed: deps.push.feed, bus: deps.bus, perKey: deps.streamsPerKey ?? 10_000, signingSecret: deps.signingSecret });
  }

  /** Whether the SDK key with this id exists and is not revoked (an event stream's token names it). */
  async keyIsLive(keyId: string): Promise<boolean> {
    const row = await getSdkKeyRow(this.deps.db, keyId);
    return row !== undefined && row.revoked_at === null;
  }

  private noteServed(version: number): void {
    this.served.set(version, (this.served.get(version) ?? 0) + 1);
    if (this.served.size > 512) this.served.delete(this.served.keys().next().value!);
    this.lastServed = { version, at: this.deps.clock().toISOString() };
  }

  /** What OFREP clients were given of the change at `stateVersion` (they acknowledge nothing). */
  propagation(stateVersion: number): OfrepPropagation {
    let fetchedSince = 0;
    for (const [v, n] of this.served) if (v >= stateVersion) fetchedSince += n;
    return { streams: this.events.size, fetchedSince, lastFetchedVersion: this.lastServed?.version ?? null, lastFetchedAt: this.lastServed?.at ?? null };
  }

  /** Ends every event stream and hands the last counts to telemetry (shutdown). */
  close(): void {
    this.events.close();
    this.usage.flush();
  }

  /** The state version answers are computed from. */
  async version(): Promise<number> {
    await this.deps.push.start();
    return this.deps.push.feed.version;
  }

  private flags(): Map<string, PreparedFlag> {
    const feed = this.deps.push.feed;
    if (feed.version !== this.preparedAt) {
      const next = new Map<string, PreparedFlag>();
      const snapshot = feed.snapshot();
      for (const f of snapshot.flags) next.set(f.key, new PreparedFlag(f));
      this.prepared = next;
      this.preparedAt = snapshot.version;
    }
    return this.prepared;
  }

  /** One flag for the context an OFREP client sent. */
  async single(key: string, context: Record<string, unknown> | undefined): Promise<OfrepResult> {
    await this.deps.push.start();
    const flag = this.flags().get(key);
    const { result, evaluation } = ofrepEvaluate(key, flag, switchyardContext(context));
    if (flag) this.usage.count(flag, evaluation.reason);
    this.noteServed(this.preparedAt);
    return result;
  }

  /** Every flag for the context, with the ETag of that answer (state version + canonical context). */
  async bulk(context: Record<string, unknown> | undefined): Promise<BulkAnswer> {
    await this.deps.push.start();
    const flags = this.flags();
    const version = this.preparedAt;
    const ctx: EvaluationContext = switchyardContext(context);
    const out: OfrepResult[] = [];
    for (const [key, flag] of flags) {
      const { result, evaluation } = ofrepEvaluate(key, flag, ctx);
      this.usage.count(flag, evaluation.reason);
      out.push(result);
    }
    this.noteServed(version);
    return { etag: bulkEtag(version, context), flags: out };
  }

  /** A 304 told a client its answer is current: that is a fetch of the current version too. */
  notModified(): void {
    this.noteServed(this.preparedAt);
  }

  /** The ETag a bulk answer for this context would carry now, without evaluating (for a 304). */
  async bulkEtag(context: Record<string, unknown> | undefined): Promise<string> {
    await this.deps.push.start();
    this.flags();
    return bulkEtag(this.preparedAt, context);
  }
}
