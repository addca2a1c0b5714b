import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../migrations/index.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { manualClock, putPlan, report, signAndAdvance } from './rollout-fixtures.js';

// Ingestion whose cost does not grow with history (issue 11): gates read running aggregates,
// names are capped, reporters are rate limited, and the metrics view is paged.
const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock, config: { metricsRateLimit: 1_000_000 } });
});
afterAll(async () => {
  await ts.close();
});

const gates = async (key: string) => (await ts.api('GET', `/api/flags/${key}/gates`, { as: 'viewer' })).body.gates;
const metricGate = async (key: string) => (await gates(key)).find((g: any) => g.gate === 'metric');

describe('running aggregates', () => {
  it("a stage's gate evidence is its running aggregate: deleting every raw sample changes no gate", async () => {
    await createFlag(ts, 'summed');
    await putPlan(ts, 'summed', { stages: [{ percent: 5 }, { percent: 50, checks: [{ metric: 'eval_score', baseline: 0.8, maxDropPct: 5 }] }, { percent: 100 }] });
    await signAndAdvance(ts, 'summed');
    const values = [0.81, 0.79, 0.9, 0.75, 0.83];
    await report(ts, values.map((value) => ({ flag: 'summed', metric: 'eval_score', value })));
    await report(ts, [{ flag: 'summed', metric: 'eval_score', value: 0.77, cohort: 'control' }]);
    const before = await metricGate('summed');
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    // Five samples are not yet evidence (minSamples 30): the gate is inconclusive, on the aggregate as on the raw rows.
    expect(before).toMatchObject({ samples: 5, ok: false, outcome: 'inconclusive' });
    expect(before.observed).toBeCloseTo(mean, 12);
    await ts.running.storage.db.deleteFrom('metric_samples').where('flag', '=', 'summed').execute();
    expect(await metricGate('summed')).toEqual(before);
    const view = (await ts.api('GET', '/api/flags/summed/metrics?metric=eval_score', { as: 'viewer' })).body.metrics[0];
    expect(view.treatment).toMatchObject({ count: 5, min: 0.75, max: 0.9 });
    expect(view.control).toMatchObject({ count: 1, mean: 0.77 });
    const agg = await ts.running.storage.db.selectFrom('metric_aggregates').select(['count', 'mean', 'm2']).where('flag', '=', 'summed').where('cohort', '=', 'treatment').executeTakeFirstOrThrow();
    expect(agg.count).toBe(5);
    expect(agg.mean).toBeCloseTo(mean, 12);
    expect(agg.m2).toBeCloseTo(values.reduce((a, v) => a + (v - mean) ** 2, 0), 12);
  });

  it("upgrading to the aggregates backfills each flag's current stage from its stored samples, and the gate reads the same", async () => {
    await createFlag(ts, 'upgraded');
    await putPlan(ts, 'upgraded', { stages: [{ percent: 5 }, { percent: 50, checks: [{ metric: 'latency_ms', op: '<=', threshold: 300 }] }, { percent: 100 }] });
    await report(ts, [{ flag: 'upgraded', metric: 'latency_ms', value: 999 }]);
    time.advanceMinutes(1);
    await signAndAdvance(ts, 'upgraded');
    await report(ts, [100, 200, 300, 250].map((value) => ({ flag: 'upgraded', metric: 'latency_ms', value })));
    const before = await metricGate('upgraded');
    expect(before).toMatchObject({ ok: false, outcome: 'inconclusive', samples: 4, observed: 212.5 });
    expect(before.interval).not.toBeNull();
    const migrator = new Migrator({ db: ts.running.storage.db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('0006_kill_members')).error).toBeUndefined();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    // Who reported before the aggregates existed is not known: the samples carry no token subject.
    expect(await metricGate('upgraded')).toEqual({ ...before, reporters: 0 });
    const rows = await ts.running.storage.db.selectFrom('metric_aggregates').select(['stage', 'count', 'mean', 'm2', 'min', 'max']).where('flag', '=', 'upgraded').execute();
    // Backfilled by 0007 as sums, converted by 0020 to mean and M2 = Σ(x − mean)².
    expect(rows).toEqual([{ stage: 1, count: 4, mean: 212.5, m2: 112.5 ** 2 + 12.5 ** 2 + 87.5 ** 2 + 37.5 ** 2, min: 100, max: 300 }]);
  });

  it('a stage entered again after a rollback starts with no evidence', async () => {
    await createFlag(ts, 'again');
    await putPlan(ts, 'again', { stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01 }] }, { percent: 50, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01 }] }, { percent: 100 }] });
    await report(ts, [{ flag: 'again', metric: 'error_rate', count: 30, mean: 0, stddev: 0 }]);
    await signAndAdvance(ts, 'again');
    await report(ts, [{ flag: 'again', metric: 'error_rate', count: 30, mean: 0.001, stddev: 0 }]);
    time.advanceMinutes(1);
    await signAndAdvance(ts, 'again', 'pm-carol');
    time.advanceMinutes(1);
    const back = await ts.api('POST', '/api/flags/again/rollback', { as: 'oncall', body: { reason: 'try again', toStage: 1 } });
    expect(back.status, back.text).toBe(200);
    expect(await metricGate('again')).toMatchObject({ ok: false, samples: 0 });
  });
});

describe('limits on what a reporter can make the server keep', () => {
  it("a flag's 51st distinct metric name is refused with a 400 naming the cap, and nothing of the batch is stored", async () => {
    await createFlag(ts, 'named');
    const fifty = Array.from({ length: 50 }, (_, i) => ({ flag: 'named', metric: `m_${i}`, value: i }));
    expect((await report(ts, fifty)).status).toBe(201);
    // Names it already has are always accepted.
    expect((await report(ts, fifty.slice(0, 3))).status).toBe(201);
    const r = await report(ts, [{ flag: 'named', metric: 'm_0', value: 1 }, { flag: 'named', metric: 'one_too_many', value: 1 }]);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'too_many_metric_names', details: { flag: 'named', cap: 50, known: 50, newNames: ['one_too_many'] } });
    expect(r.body.error.message).toContain('at most 50 distinct metric names');
    const view = (await ts.api('GET', '/api/flags/named/metrics?metric=m_0', { as: 'viewer' })).body.metrics[0];
    expect(view.treatment.count).toBe(2); // the refused batch's m_0 sample was not stored
  });

  it('a token sending more samples per second than SAMPLES_RATE_LIMIT gets 429 with Retry-After, nothing stored, other tokens unaffected', async () => {
    const clock = manualClock('2026-06-01T09:00:00.000Z');
    const limited = await startTestServer({ clock: clock.clock, config: { metricsRateLimit: 1000 } });
    try {
      await createFlag(limited, 'flooded');
      const batch = Array.from({ length: 1000 }, (_, i) => ({ flag: 'flooded', metric: 'latency_ms', value: i }));
      expect((await report(limited, batch)).status).toBe(201);
      const r = await report(limited, batch.slice(0, 10));
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.body.error).toMatchObject({ code: 'metrics_rate_limited', details: { limitPerSecond: 1000, samples: 10, retryAfterSeconds: 1 } });
      const other = await limited.api('POST', '/api/metrics', { token: await limited.token('metrics', 'second-reporter'), body: { samples: batch.slice(0, 10) } });
      expect(other.status).toBe(201);
      const count = () => limited.api('GET', '/api/flags/flooded/metrics?metric=latency_ms&limit=1', { as: 'viewer' }).then((x) => x.body.metrics[0].treatment.count);
      expect(await count()).toBe(1010);
      // A wall-clock step does not refill the bucket; a second of (monotonic) time does.
      clock.stepWallMinutes(10);
      expect((await report(limited, batch.slice(0, 10))).status).toBe(429);
      clock.advanceMinutes(1 / 60);
      expect((await report(limited, batch.slice(0, 10))).status).toBe(201);
      expect(await count()).toBe(1020);
    } finally {
      await limited.close();
    }
  });
});

describe('the metrics view', () => {
  it('32,767 metric names: the view answers bounded pages with a cursor instead of a 500', async () => {
    const wide = await startTestServer({ config: { metricsRateLimit: 1_000_000, metricNamesPerFlag: 40_000 } });
    try {
      await createFlag(wide, 'wide');
      const n = 32_767;
      const name = (i: number) => `m_${String(i).padStart(5, '0')}`;
      for (let i = 0; i < n; i += 1000) {
        const batch = Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ flag: 'wide', metric: name(i + j), value: j }));
        const r = await report(wide, batch);
        expect(r.status, r.text).toBe(201);
      }
      const first = await wide.api('GET', '/api/flags/wide/metrics', { as: 'viewer' });
      expect(first.status, first.text.slice(0, 200)).toBe(200);
      expect(first.body.metrics).toHaveLength(50);
      expect(first.body.metrics[0]).toMatchObject({ metric: name(0), treatment: { count: 1 } });
      expect(first.body.next).toBe(name(49));
      const second = (await wide.api('GET', `/api/flags/wide/metrics?after=${first.body.next}&pageSize=10`, { as: 'viewer' })).body;
      expect(second.metrics.map((m: any) => m.metric)).toEqual(Array.from({ length: 10 }, (_, i) => name(50 + i)));
      const last = (await wide.api('GET', `/api/flags/wide/metrics?after=${name(n - 3)}`, { as: 'viewer' })).body;
      expect(last.metrics.map((m: any) => m.metric)).toEqual([name(n - 2), name(n - 1)]);
      expect(last.next).toBeNull();
      const raw = (await wide.api('GET', '/api/flags/wide/metrics?since=2000-01-01T00:00:00Z', { as: 'viewer' })).body;
      expect(raw.metrics).toHaveLength(50);
      expect(raw.next).toBe(name(49));
    } finally {
      await wide.close();
    }
  }, 120_000);
});
