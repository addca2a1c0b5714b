import type { PreparedFlag } from '@switchyard-flags/sdk/evaluate';
import type { EvaluationReason, TelemetryCount } from '@switchyard-flags/sdk/protocol';
import type { TelemetrySink } from '../telemetry/telemetry-service.js';

/** How often counted OFREP evaluations are handed to the telemetry sink. */
export const OFREP_USAGE_INTERVAL_MS = 1000;

/**
 * Counts OFREP evaluations per flag, stage and variant (on, off, fallback) as an SDK does, and
 * hands them to the same telemetry sink the SDK stream reports into, once a second: the usage
 * figures then count OFREP callers like every other. Counting is two integer increments.
 */
export class OfrepUsage {
  /** Per prepared flag (each is one environment's): its counts and that environment. */
  private counts = new Map<PreparedFlag, { env: string; count: TelemetryCount }>();
  private timer?: NodeJS.Timeout;
  /** The sink bounds reports per source: OFREP's counts are one source. */
  private readonly source = {};

  constructor(private readonly sink: TelemetrySink | undefined) {}

  /** One evaluation of `flag` in `env` (the SDK key's environment): counted into that environment's usage. */
  count(env: string, flag: PreparedFlag, reason: EvaluationReason): void {
    if (!this.sink) return;
    let held = this.counts.get(flag);
    if (!held) {
      held = { env, count: { key: flag.f.key, stage: flag.f.stage, on: 0, off: 0, fallback: 0 } };
      this.counts.set(flag, held);
    }
    const c = held.count;
    if (reason === 'ROLLOUT_IN') c.on++;
    else if (reason === 'ERROR') c.fallback++;
    else c.off++;
    this.timer ??= setTimeout(() => this.flush(), OFREP_USAGE_INTERVAL_MS).unref();
  }

  /** Hands what was counted to the sink (also on shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.sink || this.counts.size === 0) return;
    const byEnv = new Map<string, TelemetryCount[]>();
    for (const { env, count } of this.counts.values()) {
      let list = byEnv.get(env);
      if (!list) byEnv.set(env, (list = []));
      list.push(count);
    }
    this.counts = new Map();
    for (const [env, counts] of byEnv) this.sink.record(counts, [], this.source, env);
  }
}
