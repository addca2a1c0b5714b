import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { manualClock, putPlan, report, signAndAdvance } from './rollout-fixtures.js';

const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock });
  await createFlag(ts, 'metered');
  await createFlag(ts, 'other');
});
afterAll(async () => {
  await ts.close();
});

const series = async (q = '') => (await ts.api('GET', `/api/flags/metered/metrics${q}`, { as: 'viewer' })).body;

describe('metric ingestion', () => {
  it('stores one sample or a batch, defaulting the cohort to treatment and the time to now', async () => {
    let r = await ts.api('POST', '/api/metrics', { as: 'metrics', body: { flag: 'metered', metric: 'eval_score', value: 0.84 } });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ stored: 1, tripped: [] });
    r = await report(ts, [
      { flag: 'metered', metric: 'eval_score', value: 0.9, cohort: 'control', at: '2026-06-01T08:59:00Z' },
      { flag: 'metered', metric: 'error_rate', value: 0.002 },
      { flag: 'other', metric: 'error_rate', value: 0.5 },
    ]);
    expect(r.body.stored).toBe(3);
    const body = await series();
    expect(body.since).toBe('2026-06-01T09:00:00.000Z'); // the flag's creation: it has not started
    expect(body.metrics.map((m: any) => m.metric)).toEqual(['error_rate', 'eval_score']);
    // The control sample predates the flag's stage window, so only a wider `since` shows it.
    const wide = await series('?metric=eval_score&since=2026-06-01T00:00:00Z');
    expect(wide.metrics).toEqual([
      {
        metric: 'eval_score',
        treatment: { count: 1, mean: 0.84, min: 0.84, max: 0.84 },
        control: { count: 1, mean: 0.9, min: 0.9, max: 0.9 },
        samples: [
          { at: '2026-06-01T08:59:00.000Z', value: 0.9, cohort: 'control', stage: 0 },
          { at: '2026-06-01T09:00:00.000Z', value: 0.84, cohort: 'treatment', stage: 0 },
        ],
        truncated: false,
      },
    ]);
  });

  it('rejects garbage with the offending index and stores nothing of the batch', async () => {
    const good = { flag: 'metered', metric: 'cost_usd_per_day', value: 12 };
    const cases: Array<[unknown, string]> = [
      [{ ...good, value: 'high' }, 'samples.2.value'],
      [{ ...good, value: null }, 'samples.2.value'],
      [{ ...good, metric: 'Cost USD' }, 'samples.2.metric'],
      [{ ...good, metric: 'x'.repeat(65) }, 'samples.2.metric'],
      [{ ...good, cohort: 'canary' }, 'samples.2.cohort'],
      [{ ...good, at: 'yesterday' }, 'samples.2.at'],
      [{ ...good, at: '2026-06-01T09:06:00Z' }, 'samples.2.at'],
      [{ ...good, flag: 'no-such-flag' }, 'samples.2.flag'],
      [{ ...good, extra: 1 }, 'samples.2'],
    ];
    for (const [bad, path] of cases) {
      const r = await report(ts, [good, good, bad, good]);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error.details.map((d: any) => d.path), JSON.stringify(bad)).toContain(path);
    }
    const unknown = await report(ts, [good, { ...good, flag: 'nope' }]);
    expect(unknown.body.error).toMatchObject({ code: 'unknown_flag', message: 'sample 1: unknown flag "nope"; nothing was stored' });
    expect((await series('?metric=cost_usd_per_day')).metrics[0]).toMatchObject({ treatment: null, samples: [] });

    expect((await report(ts, [])).status).toBe(400);
    expect((await ts.api('POST', '/api/metrics', { as: 'metrics', body: '{"flag": ' })).status).toBe(400);
    expect((await ts.api('POST', '/api/metrics', { as: 'metrics', body: { flag: 'metered', metric: 'x', value: 1e400 } })).status).toBe(400);
    // Five minutes of clock drift are tolerated.
    expect((await report(ts, [{ ...good, at: '2026-06-01T09:04:59Z' }])).status).toBe(201);
  });

  it('accepts a batch of 1000 samples in one request and refuses 1001', async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => ({ flag: 'other', metric: 'p95_latency_ms', value: 1000 + i }));
    const r = await report(ts, batch);
    expect(r.status).toBe(201);
    expect(r.body.stored).toBe(1000);
    const big = await report(ts, [...batch, batch[0]]);
    expect(big.status).toBe(400);
    expect(big.body.error.details[0].path).toBe('samples');
    const s = (await ts.api('GET', '/api/flags/other/metrics?metric=p95_latency_ms&limit=10', { as: 'viewer' })).body.metrics[0];
    expect(s.treatment).toMatchObject({ count: 1000, min: 1000, max: 1999 });
    expect(s.samples).toHaveLength(10);
    expect(s.truncated).toBe(true);
  });

  it('lets only the metrics, engineer and admin roles report', async () => {
    const body = { flag: 'metered', metric: 'error_rate', value: 0 };
    for (const role of ['pm', 'oncall', 'viewer'] as const) expect((await ts.api('POST', '/api/metrics', { as: role, body })).status).toBe(403);
    for (const role of ['metrics', 'engineer', 'admin'] as const) expect((await ts.api('POST', '/api/metrics', { as: role, body })).status).toBe(201);
    expect((await ts.api('GET', '/api/flags/metered/metrics', { as: 'metrics' })).status).toBe(403);
  });

  it('records the stage a sample arrived at, and the gate window starts with the stage', async () => {
    await putPlan(ts, 'metered', { stages: [{ percent: 5 }, { percent: 100, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01 }] }] });
    time.advanceMinutes(1);
    await signAndAdvance(ts, 'metered');
    time.advanceMinutes(1);
    await report(ts, [{ flag: 'metered', metric: 'error_rate', value: 0.004 }]);
    const body = await series('?metric=error_rate');
    expect(body).toMatchObject({ stage: 1, since: '2026-06-01T09:01:00.000Z' });
    expect(body.metrics[0].samples).toEqual([{ at: '2026-06-01T09:02:00.000Z', value: 0.004, cohort: 'treatment', stage: 1 }]);
    const gates = (await ts.api('GET', '/api/flags/metered/gates', { as: 'viewer' })).body.gates;
    // The stage's one sample counts for its gate (one sample is not yet evidence: inconclusive, docs/rollouts.md).
    expect(gates.find((g: any) => g.gate === 'metric')).toMatchObject({ ok: false, outcome: 'inconclusive', samples: 1, n: 1, observed: 0.004 });
    // Samples are data, not changes: the audit trail has no entry per sample.
    const audit = await ts.api('GET', '/api/audit?flag=metered&action=metrics.', { as: 'admin' });
    expect(audit.body.entries).toEqual([]);
  });
});
