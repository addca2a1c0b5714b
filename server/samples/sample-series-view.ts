import type { Db } from '../storage/schema.js';
import { liveFlagRow } from '../flags/flag-store.js';
import { stageStart } from '../flags/flag-view.js';
import type { CohortStats, MetricSeries } from '@switchyard-flags/sdk/api';
import { stageMetricNames, stageStats, type Aggregate } from './sample-aggregate-store.js';
import { metricNamesSince, recentSamples, statsSince } from './sample-store.js';

/** Metric names per page of `GET /api/flags/:key/metrics` (default and most). */
export const PAGE_NAMES = 50;
/** Samples in one page, all metrics together: the per-metric `limit` shrinks to fit. */
export const PAGE_SAMPLES = 20_000;

export interface SeriesPageQuery {
  metrics?: string[];
  since?: string;
  limit?: number;
  /** The `next` of the previous page: the last metric name it held. */
  after?: string;
  pageSize?: number;
}

export interface SeriesPage {
  flag: string;
  stage: number;
  since: string;
  metrics: MetricSeries[];
  /** Pass as `after` for the next page of metric names; null on the last page. */
  next: string | null;
}

const cohort = (a: CohortStats | undefined): CohortStats | null => (a ? { count: a.count, mean: a.mean, min: a.min, max: a.max } : null);

/**
 * Per metric: stats per cohort and the recent samples since `since` (default: the current stage's
 * start), one page of metric names at a time. The current stage's stats are its running
 * aggregates (one row per metric and cohort); an explicit `since` aggregates the raw samples of
 * that page's names only. Either way the page's work is bounded by its size, not by history.
 */
export async function sampleSeriesView(db: Db, env: string, key: string, q: SeriesPageQuery): Promise<SeriesPage> {
  const row = await liveFlagRow(db, env, key);
  const start = stageStart(row);
  const since = q.since ? new Date(q.since).toISOString() : start;
  const run = { environment: env, flag: key, stage: row.stage, since: start };
  const pageSize = Math.min(Math.max(q.pageSize ?? PAGE_NAMES, 1), PAGE_NAMES);
  let names: string[];
  let next: string | null = null;
  if (q.metrics) {
    names = q.metrics;
  } else {
    const found = q.since ? await metricNamesSince(db, env, key, since, q.after, pageSize + 1) : await stageMetricNames(db, run, q.after, pageSize + 1);
    names = found.slice(0, pageSize);
    if (found.length > pageSize) next = names[names.length - 1]!;
  }
  const stats: Map<string, { treatment?: CohortStats | Aggregate; control?: CohortStats | Aggregate }> = q.since ? await statsSince(db, env, key, since, names) : await stageStats(db, run, names);
  const limit = Math.min(Math.max(q.limit ?? 500, 1), 1000, Math.max(1, Math.floor(PAGE_SAMPLES / Math.max(1, names.length))));
  const metrics: MetricSeries[] = [];
  for (const metric of names) {
    const s = stats.get(metric);
    const samples = await recentSamples(db, env, key, metric, since, limit);
    const total = (s?.treatment?.count ?? 0) + (s?.control?.count ?? 0);
    metrics.push({ metric, treatment: cohort(s?.treatment), control: cohort(s?.control), samples, truncated: total > samples.length });
  }
  return { flag: key, stage: row.stage, since, metrics, next };
}
