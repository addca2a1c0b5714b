import type { Actor } from '../actor.js';
import { monotonicOf } from '../clock.js';
import { ValidationError } from '../errors.js';
import type { FlagMutationDeps } from '../flags/flag-mutation.js';
import { liveStageRows } from '../flags/flag-store.js';
import { stageStart } from '../flags/flag-view.js';
import { writeTransaction } from '../write-gate.js';
import { addToAggregates, newMetricNames, touchMetricNames, type CountedSample } from './sample-aggregate-store.js';
import { SampleRateLimiter } from './sample-rate-limiter.js';
import type { SampleInput } from './sample-schemas.js';
import { insertSamples } from './sample-store.js';
import { sampleSeriesView, type SeriesPageQuery } from './sample-series-view.js';
import type { JudgedSample, SampleListener, Trip } from './sample-types.js';
import { measuredAt, tooFarAhead } from './sample-time.js';

export interface SampleLimits {
  /** Distinct metric names one flag may report (METRIC_NAMES_PER_FLAG). */
  namesPerFlag: number;
  /** Samples per second one token may send (METRICS_RATE_LIMIT). */
  samplesPerSecond: number;
}

export const DEFAULT_SAMPLE_LIMITS: SampleLimits = { namesPerFlag: 50, samplesPerSecond: 10_000 };

export interface IngestResult {
  stored: number;
  tripped: Trip[];
  /** Samples stored but measured (by their `at`) before their flag's current stage began: evidence for no stage. */
  uncounted?: number;
}

/**
 * Metric samples: data, not changes, so they are not audited one by one. A batch is stored
 * all or nothing, with the running aggregates of the stage it counts for in the same
 * transaction; then the listener (the rollout domain's guardrails, wired in services.ts) judges
 * the fresh samples, and a trip is audited as a change.
 */
export class SampleService {
  private readonly limiter: SampleRateLimiter;

  constructor(
    private readonly deps: FlagMutationDeps,
    readonly limits: SampleLimits = DEFAULT_SAMPLE_LIMITS,
    /** Judges fresh samples once stored (the guardrails); none: nothing reacts. */
    private readonly onFresh: SampleListener = async () => [],
  ) {
    this.limiter = new SampleRateLimiter(limits.samplesPerSecond, monotonicOf(deps.clock));
  }

  async ingest(actor: Actor, samples: SampleInput[], batch: boolean): Promise<IngestResult> {
    const now = this.deps.clock();
    const path = (i: number, field: string) => (batch ? `samples.${i}.${field}` : field);
    const rows: JudgedSample[] = samples.map((s, i) => {
      const at = s.at === undefined ? undefined : new Date(s.at);
      if (at && tooFarAhead(at, now)) {
        throw new ValidationError(`sample ${i}: at ${s.at} is more than 5 minutes in the future (server time ${now.toISOString()}); nothing was stored`, [
          { index: i, path: path(i, 'at'), message: 'more than 5 minutes in the future' },
        ]);
      }
      const size = s.count === undefined ? {} : { count: s.count, stddev: s.stddev ?? 0 };
      return { flag: s.flag, metric: s.metric, value: s.value, cohort: s.cohort, at: (at ?? now).toISOString(), ...size, measuredAt: measuredAt(at, now).toISOString() };
    });
    // An aggregate's moments, exact for {count, sum, sumSq}; from {count, mean, stddev}: Σx = n·mean, Σx² = (n − 1)·sd² + n·mean².
    const moments = samples.map((s) => {
      const n = s.count ?? 1;
      const sd = s.stddev ?? 0;
      return { count: n, sum: s.sum ?? n * s.value, sumSq: s.sumSq ?? (n - 1) * sd * sd + n * s.value * s.value };
    });
    this.limiter.take(actor.sub, rows.length);
    const receivedAt = now.toISOString();
    let uncounted = 0;
    await writeTransaction(this.deps.db, false, async (trx) => {
      const keys = [...new Set(rows.map((r) => r.flag))];
      const flags = await liveStageRows(trx, keys);
      const flagOf = new Map(flags.map((f) => [f.key, f]));
      const unknown = rows.flatMap((r, i) => (flagOf.has(r.flag) ? [] : [{ index: i, path: path(i, 'flag'), message: `unknown flag "${r.flag}"` }]));
      if (unknown.length > 0) {
        throw new ValidationError(`sample ${unknown[0]!.index}: ${unknown[0]!.message}; nothing was stored`, unknown.slice(0, 100), 'unknown_flag');
      }
      const names = new Map<string, Set<string>>();
      for (const r of rows) names.set(r.flag, (names.get(r.flag) ?? new Set()).add(r.metric));
      for (const [flag, { known, fresh }] of await newMetricNames(trx, names)) {
        if (known + fresh.length <= this.limits.namesPerFlag) continue;
        throw new ValidationError(
          `flag "${flag}" may report at most ${this.limits.namesPerFlag} distinct metric names (METRIC_NAMES_PER_FLAG); it has ${known}, and this request adds ${fresh.length} new (${fresh.slice(0, 3).join(', ')}${fresh.length > 3 ? ', …' : ''}); nothing was stored`,
          { flag, cap: this.limits.namesPerFlag, known, newNames: fresh.slice(0, 100) },
          'too_many_metric_names',
        );
      }
      await insertSamples(trx, rows.map((r) => ({ flag: r.flag, metric: r.metric, value: r.value, cohort: r.cohort, at: r.at, stage: flagOf.get(r.flag)!.stage, received_at: receivedAt, count: r.count ?? 1, stddev: r.stddev ?? null })));
      const counted: CountedSample[] = [];
      for (const [i, r] of rows.entries()) {
        const f = flagOf.get(r.flag)!;
        const since = stageStart(f);
        // A sample measured before the stage began never counts for it.
        if (r.measuredAt < since) uncounted++;
        else counted.push({ flag: r.flag, stage: f.stage, since, metric: r.metric, cohort: r.cohort, value: r.value, ...moments[i]! });
      }
      await addToAggregates(trx, counted, receivedAt);
      await touchMetricNames(trx, names, receivedAt);
    });
    const tripped = await this.onFresh(rows, actor.requestId);
    return { stored: rows.length, tripped, ...(uncounted > 0 ? { uncounted } : {}) };
  }

  /** One page of metric series (see sample-series-view.ts). */
  series(key: string, q: SeriesPageQuery) {
    return sampleSeriesView(this.deps.db, key, q);
  }
}
