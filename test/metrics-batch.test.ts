import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../server/config.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { manualClock, putPlan, report, signAndAdvance } from './rollout-fixtures.js';

/**
 * A metric batch is stored in one statement per table on PostgreSQL (the samples as arrays spread
 * by `unnest`, the known names in two reads for the whole batch): these pin that a full batch
 * across many flags is stored exactly, and that a batch straddling a limit stores nothing.
 */
const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;
const FLAGS = Array.from({ length: 20 }, (_, i) => `batch-${i}`);

beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock, config: { metricsRateLimit: 1_000_000, metricNamesPerFlag: 3 } });
  for (const key of FLAGS) await createFlag(ts, key);
});
afterAll(async () => {
  await ts.close();
});

const view = async (key: string, metric: string) =>
  (await ts.api('GET', `/api/flags/${key}/metrics?metric=${metric}&limit=1000`, { as: 'viewer' })).body.metrics[0];

describe('metric batches', () => {
  it('a batch of 1,000 samples across 20 flags, values and aggregates mixed, is stored once each and its figures are exact', async () => {
    // Sample i: flag i % 20, metric a or b, cohort by i % 3; every 7th an aggregate of 10 observations.
    const samples = Array.from({ length: 1000 }, (_, i) => {
      const base = { flag: FLAGS[i % 20]!, metric: i % 2 ? 'metric_a' : 'metric_b', cohort: i % 3 ? 'treatment' : 'control' };
      return i % 7 === 0 ? { ...base, count: 10, mean: i / 1000, stddev: 0.5 } : { ...base, value: i / 1000 };
    });
    const r = await report(ts, samples);
    expect(r.status, r.text).toBe(201);
    expect(r.body).toEqual({ stored: 1000, tripped: [] });
    for (const key of [FLAGS[0]!, FLAGS[13]!]) {
      for (const metric of ['metric_a', 'metric_b']) {
        const mine = samples.map((s, i) => ({ ...s, i })).filter((s) => s.flag === key && s.metric === metric);
        const got = await view(key, metric);
        for (const cohort of ['treatment', 'control'] as const) {
          const cs = mine.filter((s) => s.cohort === cohort);
          if (cs.length === 0) continue;
          const n = cs.reduce((a, s) => a + ('count' in s ? s.count : 1), 0);
          const sum = cs.reduce((a, s) => a + ('count' in s ? s.count * s.mean : s.value), 0);
          const values = cs.map((s) => ('count' in s ? s.mean : s.value));
          expect(got[cohort].count, `${key} ${metric} ${cohort}`).toBe(n);
          expect(got[cohort].mean).toBeCloseTo(sum / n, 12);
          expect(got[cohort].min).toBe(Math.min(...values));
          expect(got[cohort].max).toBe(Math.max(...values));
        }
        // Every sample once, each with its own value, cohort and (for an aggregate) count and stddev.
        const stored = got.samples.map((s: any) => [s.value, s.cohort, s.count ?? 1, s.stddev ?? null]).sort();
        const sent = mine.map((s) => ['count' in s ? s.mean : s.value, s.cohort, 'count' in s ? s.count : 1, 'count' in s ? s.stddev : null]).sort();
        expect(stored).toEqual(sent);
      }
    }
  });

  it('a batch whose last sample takes one flag past its metric-name cap stores nothing for any flag', async () => {
    const before = await view(FLAGS[1]!, 'metric_a');
    // batch-19 knows one name (metric_a; cap 3): 997 samples of known names, then three new names
    // for batch-19, the last of them one too many.
    const samples: Array<Record<string, unknown>> = Array.from({ length: 997 }, (_, i) => ({ flag: FLAGS[i % 20]!, metric: i % 2 ? 'metric_a' : 'metric_b', value: 0.5 }));
    samples.push(...['metric_c', 'metric_d', 'metric_e'].map((metric) => ({ flag: FLAGS[19]!, metric, value: 0.5 })));
    const r = await report(ts, samples);
    expect(r.status, r.text).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'too_many_metric_names', details: { flag: FLAGS[19], cap: 3, known: 1, newNames: ['metric_c', 'metric_d', 'metric_e'] } });
    expect(await view(FLAGS[1]!, 'metric_a')).toEqual(before);
    // The same batch without its last sample fits the cap exactly, and all of it is stored.
    const fits = await report(ts, samples.slice(0, 999));
    expect(fits.status, fits.text).toBe(201);
    expect(fits.body.stored).toBe(999);
    expect((await view(FLAGS[1]!, 'metric_a')).treatment.count).toBe(before.treatment.count + 50);
    expect((await view(FLAGS[19]!, 'metric_d')).treatment.count).toBe(1);
  });

  it("a batch straddling a flag's stage start stores every sample and counts only those measured since the stage began", async () => {
    const key = 'straddled';
    await createFlag(ts, key);
    await putPlan(ts, key, { stages: [{ percent: 5 }, { percent: 100 }] });
    time.advanceMinutes(1);
    await signAndAdvance(ts, key);
    const stageAt = Date.parse(time.iso());
    time.advanceMinutes(1);
    const at = (sec: number) => new Date(stageAt + sec * 1000).toISOString();
    // 600 measured before the stage began (6 to 11 minutes before: older than the clock tolerance), 400 after it.
    const samples = Array.from({ length: 1000 }, (_, i) => ({ flag: key, metric: 'metric_a', value: i < 600 ? 1 : 0.25, at: i < 600 ? at(-360 - (i % 300)) : at(i % 60) }));
    const r = await report(ts, samples);
    expect(r.status, r.text).toBe(201);
    expect(r.body).toEqual({ stored: 1000, tripped: [], uncounted: 600 });
    const got = await view(key, 'metric_a');
    expect(got.treatment).toMatchObject({ count: 400, mean: 0.25, min: 0.25, max: 0.25 });
  });
});

describe('admission of metric batches', () => {
  it('one batch more than INGEST_MAX_IN_FLIGHT is refused at once with 503 ingest_busy and Retry-After, nothing stored, and a kill still goes through', async () => {
    const one = await startTestServer({ config: { ingestMaxInFlight: 1 } });
    try {
      await createFlag(one, 'admitted');
      await createFlag(one, 'target');
      // Every write waits while the test holds the write gate: the first batch, read in full and
      // admitted, stays in flight at the gate.
      let release!: () => void;
      const holding = one.running.storage.write(false, () => new Promise<void>((r) => (release = r)));
      const first = report(one, [{ flag: 'admitted', metric: 'metric_a', value: 1 }]);
      // Probes until the first batch holds the one slot. A probe admitted before it (under load
      // the first's body can arrive later) must not wait at the held gate too: each is dated an
      // hour ahead, which the service refuses (400) before any write, so it only ever answers.
      const probe = () => report(one, [{ flag: 'target', metric: 'metric_a', value: 1, at: new Date(Date.now() + 3_600_000).toISOString() }]);
      let r = await probe();
      for (let i = 0; i < 100 && r.status !== 503; i++) {
        expect(r.status, r.text).toBe(400);
        r = await probe();
      }
      expect(r.status, r.text).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.body.error).toMatchObject({ code: 'ingest_busy', details: { maxInFlight: 1, retryAfterSeconds: 1 } });
      // The kill (urgent) waits only for the write the test holds, queued ahead of the admitted batch.
      const kill = one.api('POST', '/api/flags/target/kill', { as: 'oncall', body: { reason: 'incident' } });
      await (await fetch(`${one.url}/healthz`)).text();
      release();
      await holding;
      expect((await kill).status).toBe(200);
      expect((await first).status).toBe(201);
      // The slot is free again, and nothing of the refused batches was stored.
      expect((await report(one, [{ flag: 'target', metric: 'metric_a', value: 2 }])).status).toBe(201);
      const view = (await one.api('GET', '/api/flags/target/metrics?metric=metric_a', { as: 'viewer' })).body.metrics[0];
      expect(view.samples.map((x: any) => x.value)).toEqual([2]);
    } finally {
      await one.close();
    }
  });

  it('reporters that send half a body and hang hold no slot of INGEST_MAX_IN_FLIGHT: a whole batch from another reporter is stored', async () => {
    const one = await startTestServer({ config: { ingestMaxInFlight: 2 } });
    const hung: http.ClientRequest[] = [];
    try {
      await createFlag(one, 'steady');
      const token = await one.token('metrics');
      const body = JSON.stringify({ samples: [{ flag: 'steady', metric: 'metric_a', value: 1 }] });
      for (let i = 0; i < 5; i++) {
        const req = http.request(`${one.url}/api/metrics`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        });
        req.on('error', () => undefined);
        await new Promise<void>((resolve) => req.write(body.slice(0, 10), () => resolve()));
        hung.push(req);
      }
      // The server has read every hung request's headers before this answer.
      await (await fetch(`${one.url}/healthz`)).text();
      const r = await report(one, [{ flag: 'steady', metric: 'metric_a', value: 7 }]);
      expect(r.status, r.text).toBe(201);
    } finally {
      for (const h of hung) h.destroy();
      await one.close();
    }
  });

  it('INGEST_MAX_IN_FLIGHT outside 1..1000 is refused at start, naming the variable', () => {
    for (const v of ['0', '1001', '2.5', 'many']) expect(() => configFromEnv({ INGEST_MAX_IN_FLIGHT: v })).toThrow(/INGEST_MAX_IN_FLIGHT/);
    expect(configFromEnv({ INGEST_MAX_IN_FLIGHT: '3' }).ingestMaxInFlight).toBe(3);
  });
});
