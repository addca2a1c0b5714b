import { envOr, type EnvDeps } from '../environments/default-environment.js';
import type { Actor } from '../actor.js';
import { ValidationError } from '../errors.js';
import type { FlagMutationDeps } from '../flags/flag-mutation.js';
import { liveStageRows } from '../flags/flag-store.js';
import { stageStart } from '../flags/flag-view.js';
import { addToAggregates, newMetricNames, touchMetricNames, type CountedSample } from './sample-aggregate-store.js';
import { addReporters } from './sample-reporter-store.js';
import { DEFAULT_MAX_SAMPLE_COUNT, refuseOutOfBounds, refuseOutOfEnvScope, refuseOutOfScope, type SamplePath } from './sample-bounds.js';
import { getEnvironmentRow } from '../environments/environment-store.js';
import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import { sampleBudget, type SampleBudget } from './sample-budget.js';
import { MEMORY_LIMITS, type LimitStores } from '../limits/limit-stores.js';
import { m2Of, type SampleInput } from './sample-schemas.js';
import { insertSamples } from './sample-store.js';
import { sampleSeriesView, type SeriesPageQuery } from './sample-series-view.js';
import type { JudgedSample, MetricRangePort, SampleListener, Trip } from './sample-types.js';
import { measuredAt, tooFarAhead } from './sample-time.js';

export interface SampleLimits {
  /** Distinct metric names one flag may report (METRIC_NAMES_PER_FLAG). */
  namesPerFlag: number;
  /** Samples per second one token may send (SAMPLES_RATE_LIMIT). */
  samplesPerSecond: number;
  /** Observations (the samples' counts) per second one token may claim (SAMPLES_OBSERVATION_LIMIT; default 1,000,000). */
  observationsPerSecond?: number;
  /** Observations one sample may claim (MAX_SAMPLE_COUNT; default 1,000,000). */
  maxSampleCount?: number;
  /** Metric batches this process handles at once; one more is refused with 503 (INGEST_MAX_IN_FLIGHT; sample-admission.ts). */
  inFlight?: number;
}

export const DEFAULT_OBSERVATIONS_PER_SECOND = 1_000_000;
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
  private readonly budget: SampleBudget;
  private readonly maxCount: number;

  constructor(
    private readonly deps: FlagMutationDeps & EnvDeps,
    readonly limits: SampleLimits = DEFAULT_SAMPLE_LIMITS,
    /** Judges fresh samples once stored (the guardrails); none: nothing reacts. */
    private readonly onFresh: SampleListener = async () => [],
    /** The ranges the flags' plans declare for their metrics (the rollout domain, wired in services.ts); none: the default bounds only. */
    private readonly rangesOf: MetricRangePort = async () => new Map(),
    /** Where the per-token rate limits count (server/limits/): this process by default. */
    stores: LimitStores = MEMORY_LIMITS,
    onStoreError?: (err: unknown) => void,
  ) {
    this.maxCount = limits.maxSampleCount ?? DEFAULT_MAX_SAMPLE_COUNT;
    const observationsPerSecond = limits.observationsPerSecond ?? DEFAULT_OBSERVATIONS_PER_SECOND;
    this.budget = sampleBudget({ samplesPerSecond: limits.samplesPerSecond, observationsPerSecond, maxSampleCount: this.maxCount }, stores, deps.clock, onStoreError);
  }

  async ingest(actor: Actor, samples: SampleInput[], batch: boolean): Promise<IngestResult> {
    const now = this.deps.clock();
    const path = (i: number, field: string) => (batch ? `samples.${i}.${field}` : field);
    refuseOutOfScope(actor, samples, path);
    const envOfs = samples.map((s) => envOr(this.deps, s.environment));
    refuseOutOfEnvScope(actor, samples, path, (s) => envOr(this.deps, s.environment));
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
    // The default bounds and the count bound need no database: refuse before taking any budget.
    refuseOutOfBounds(samples, path, () => undefined, this.maxCount);
    const observed = samples.reduce((a, s) => a + (s.count ?? 1), 0);
    // In memory synchronous; shared by the replicas, one round trip to PostgreSQL.
    const taken = this.budget.take(actor.sub, rows.length, observed);
    if (taken) await taken;
    const receivedAt = now.toISOString();
    let uncounted = 0;
    // Each sample names its environment (default DEFAULT_ENVIRONMENT): one transaction for the batch, each environment's rows apart.
    const byEnv = new Map<string, number[]>();
    for (const i of rows.keys()) {
      const env = envOfs[i]!;
      const list = byEnv.get(env);
      if (list) list.push(i);
      else byEnv.set(env, [i]);
    }
    await this.deps.storage.write(false, async (trx) => {
      for (const [env, at] of byEnv) {
        const where = await getEnvironmentRow(trx, env);
        if (!where || where.archived === 1) {
          const bad = at.map((i) => ({ index: i, path: path(i, 'environment'), message: `environment "${env}" does not exist${where ? ' (it is archived)' : ''}` }));
          throw new ValidationError(`sample ${at[0]}: ${bad[0]!.message} (GET /api/environments); nothing was stored`, bad.slice(0, 100), 'unknown_environment');
        }
      }
      for (const [env, at] of byEnv) uncounted += await this.store(trx, env, at.map((i) => ({ row: rows[i]!, input: samples[i]!, index: i })), path, actor.sub, receivedAt);
    });
    const tripped: Trip[] = [];
    for (const [env, at] of byEnv) tripped.push(...(await this.onFresh(env, at.map((i) => rows[i]!), actor.requestId)));
    return { stored: rows.length, tripped, ...(uncounted > 0 ? { uncounted } : {}) };
  }

  /** Stores one environment's samples of a batch with their aggregates, reporters and names; answers how many counted for no stage. */
  private async store(trx: Transaction<Database>, env: string, batch: Array<{ row: JudgedSample; input: SampleInput; index: number }>, path: SamplePath, reporter: string, receivedAt: string): Promise<number> {
    let uncounted = 0;
    const rows = batch.map((b) => b.row);
    const keys = [...new Set(rows.map((r) => r.flag))];
    const flags = await liveStageRows(trx, env, keys);
    const flagOf = new Map(flags.map((f) => [f.key, f]));
    const unknown = batch.flatMap((b) => (flagOf.has(b.row.flag) ? [] : [{ index: b.index, path: path(b.index, 'flag'), message: `unknown flag "${b.row.flag}"` }]));
    if (unknown.length > 0) {
      throw new ValidationError(`sample ${unknown[0]!.index}: ${unknown[0]!.message}; nothing was stored`, unknown.slice(0, 100), 'unknown_flag');
    }
    const ranges = await this.rangesOf(trx, env, keys);
    const inputs = batch.map((b) => b.input);
    refuseOutOfBounds(inputs, (i, field) => path(batch[i]!.index, field), (s) => ranges.get(s.flag)?.get(s.metric), this.maxCount);
    const names = new Map<string, Set<string>>();
    for (const r of rows) names.set(r.flag, (names.get(r.flag) ?? new Set()).add(r.metric));
    for (const [flag, { known, fresh }] of await newMetricNames(trx, env, names)) {
      if (known + fresh.length <= this.limits.namesPerFlag) continue;
      throw new ValidationError(
        `flag "${flag}" may report at most ${this.limits.namesPerFlag} distinct metric names (METRIC_NAMES_PER_FLAG); it has ${known}, and this request adds ${fresh.length} new (${fresh.slice(0, 3).join(', ')}${fresh.length > 3 ? ', …' : ''}); nothing was stored`,
        { flag, cap: this.limits.namesPerFlag, known, newNames: fresh.slice(0, 100) },
        'too_many_metric_names',
      );
    }
    await insertSamples(this.deps.storage, trx, rows.map((r) => ({ environment: env, flag: r.flag, metric: r.metric, value: r.value, cohort: r.cohort, at: r.at, stage: flagOf.get(r.flag)!.stage, received_at: receivedAt, count: r.count ?? 1, stddev: r.stddev ?? null })));
    const counted: CountedSample[] = [];
    for (const { row: r, input } of batch) {
      const f = flagOf.get(r.flag)!;
      const since = stageStart(f);
      // A sample measured before the stage began never counts for it.
      if (r.measuredAt < since) uncounted++;
      else counted.push({ environment: env, flag: r.flag, stage: f.stage, since, metric: r.metric, cohort: r.cohort, value: r.value, count: input.count ?? 1, m2: m2Of(input) });
    }
    await addToAggregates(trx, counted, receivedAt);
    await addReporters(trx, counted, reporter, receivedAt);
    await touchMetricNames(trx, env, names, receivedAt);
    return uncounted;
  }

  /** One page of metric series (see sample-series-view.ts). */
  series(key: string, q: SeriesPageQuery, env?: string) {
    return sampleSeriesView(this.deps.db, envOr(this.deps, env), key, q);
  }
}
