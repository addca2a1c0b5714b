import type { Actor } from '../auth/roles.js';
import { ValidationError } from '../errors.js';
import type { FlagMutationDeps } from '../flags/flag-mutation.js';
import { liveFlagRow } from '../flags/flag-store.js';
import { stageStart } from '../rollout/gates.js';
import { writeTransaction } from '../write-gate.js';
import { Guardrails, type Sample, type Trip } from './guardrails.js';
import type { SampleInput } from './metric-schemas.js';
import type { MetricSeries } from '../../sdk/src/api.js';
import { insertSamples, metricNamesSince, recentSamples, statsSince } from './metric-store.js';

/** How far ahead of the server's clock a sample's `at` may be (reporters' clocks drift). */
export const MAX_FUTURE_MS = 5 * 60_000;

export type { MetricSeries };

/**
 * Metric samples: data, not changes, so they are not audited one by one. A batch is stored
 * all or nothing; guardrails then judge the fresh samples, and a trip is audited as a change.
 */
export class MetricService {
  private readonly guardrails: Guardrails;

  constructor(private readonly deps: FlagMutationDeps) {
    this.guardrails = new Guardrails(deps);
  }

  async ingest(actor: Actor, samples: SampleInput[], batch: boolean): Promise<{ stored: number; tripped: Trip[] }> {
    const now = this.deps.clock();
    const path = (i: number, field: string) => (batch ? `samples.${i}.${field}` : field);
    const rows: Sample[] = samples.map((s, i) => {
      const at = s.at === undefined ? now : new Date(s.at);
      if (at.getTime() > now.getTime() + MAX_FUTURE_MS) {
        throw new ValidationError(`sample ${i}: at ${s.at} is more than 5 minutes in the future (server time ${now.toISOString()}); nothing was stored`, [
          { index: i, path: path(i, 'at'), message: 'more than 5 minutes in the future' },
        ]);
      }
      return { flag: s.flag, metric: s.metric, value: s.value, cohort: s.cohort, at: at.toISOString() };
    });
    const receivedAt = now.toISOString();
    await writeTransaction(this.deps.db, false, async (trx) => {
      const keys = [...new Set(rows.map((r) => r.flag))];
      const flags = await trx.selectFrom('flags').select(['key', 'stage']).where('key', 'in', keys).where('archived', '=', 0).execute();
      const stageOf = new Map(flags.map((f) => [f.key, f.stage]));
      const unknown = rows.flatMap((r, i) => (stageOf.has(r.flag) ? [] : [{ index: i, path: path(i, 'flag'), message: `unknown flag "${r.flag}"` }]));
      if (unknown.length > 0) {
        throw new ValidationError(`sample ${unknown[0]!.index}: ${unknown[0]!.message}; nothing was stored`, unknown.slice(0, 100), 'unknown_flag');
      }
      await insertSamples(trx, rows.map((r) => ({ ...r, stage: stageOf.get(r.flag)!, received_at: receivedAt })));
    });
    const tripped = await this.guardrails.check(rows, actor.requestId);
    return { stored: rows.length, tripped };
  }

  /** Per metric: stats per cohort and the recent samples since `since` (default: the current stage's start). */
  async series(key: string, opts: { metrics?: string[]; since?: string; limit?: number }): Promise<{ flag: string; stage: number; since: string; metrics: MetricSeries[] }> {
    const row = await liveFlagRow(this.deps.db, key);
    const since = opts.since ? new Date(opts.since).toISOString() : stageStart(row);
    const limit = Math.min(Math.max(opts.limit ?? 500, 1), 1000);
    const names = opts.metrics ?? (await metricNamesSince(this.deps.db, key, since));
    const stats = await statsSince(this.deps.db, key, since, names);
    const metrics: MetricSeries[] = [];
    for (const metric of names) {
      const s = stats.get(metric);
      const samples = await recentSamples(this.deps.db, key, metric, since, limit);
      const total = (s?.treatment?.count ?? 0) + (s?.control?.count ?? 0);
      metrics.push({ metric, treatment: s?.treatment ?? null, control: s?.control ?? null, samples, truncated: total > samples.length });
    }
    return { flag: key, stage: row.stage, since, metrics };
  }
}
