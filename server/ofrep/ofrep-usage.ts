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
  private counts = new Map<PreparedFlag, TelemetryCount>();
  private timer?: NodeJS.Timeout;
  /** The sink bounds reports per source: OFREP's counts are one source. */
  private readonly source = {};

  constructor(private readonly sink: TelemetrySink | undefined) {}

  count(flag: PreparedFlag, reason: EvaluationReason): void {
    if (!this.sink) return;
    let c = this.counts.get(flag);
    if (!c) {
      c = { key: flag.f.key, stage: flag.f.stage, on: 0, off: 0, fallback: 0 };
      this.counts.set(flag, c);
    }
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
    const counts = [...this.counts.values()];
    this.counts = new Map();
    this.sink.record(counts, [], this.source);
  }
}
