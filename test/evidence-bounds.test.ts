import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER, issueToken } from '../server/auth/tokens.js';
import { cli } from './helpers/cli.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { manualClock, putPlan, report, signAndAdvance } from './rollout-fixtures.js';

// Issue 20 #2 and #3: one metric sample cannot poison a stage's evidence, and evidence is
// bounded per sample and scoped per token. Runs on SQLite and PostgreSQL (package.json test:pg).

const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock });
});
afterAll(async () => {
  await ts.close();
});
// A minute between tests refills the shared metrics token's budget (the rate limit counts observations).
beforeEach(() => time.advanceMinutes(1));

const gatesOf = async (key: string) => ts.api('GET', `/api/flags/${key}/gates`, { as: 'viewer' });
const metricGate = async (key: string, metric: string) => (await gatesOf(key)).body.gates.find((g: any) => g.gate === 'metric' && g.metric === metric);
const flagOf = async (key: string) => (await ts.api('GET', `/api/flags/${key}`, { as: 'viewer' })).body;
const seriesOf = async (key: string, metric: string) => (await ts.api('GET', `/api/flags/${key}/metrics?metric=${metric}`, { as: 'viewer' })).body.metrics[0];
const reportAs = async (token: string, samples: unknown[]) => ts.api('POST', '/api/metrics', { token, body: { samples } });

/** A flag at stage 1 of a plan whose first stage carries `check` (its gate met by `passing`). */
async function atStageOne(key: string, check: Record<string, unknown>, passing: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  await createFlag(ts, key);
  const r = await putPlan(ts, key, { ...extra, stages: [{ percent: 5, checks: [check] }, { percent: 100 }] });
  expect(r.status, r.text).toBe(200);
  expect((await report(ts, [{ flag: key, ...passing }])).status).toBe(201);
  time.advanceMinutes(1);
  await signAndAdvance(ts, key);
}

describe('one sample cannot poison a stage (issue 20 #2)', () => {
  it('a spread no real metric has is refused with 400 naming the bound, and the kill guardrail still trips on a 90% error rate over 100,000 requests', async () => {
    const errorRate = { metric: 'error_rate', op: '<=', threshold: 0.01, guardrail: true, onBreach: 'kill' };
    await atStageOne('poison-spread', errorRate, { metric: 'error_rate', count: 30, mean: 0.001, stddev: 0 });
    const poison = await report(ts, [{ flag: 'poison-spread', metric: 'error_rate', count: 2, mean: 0, stddev: 1e200 }]);
    expect(poison.status).toBe(400);
    expect(poison.body.error.details.map((d: any) => d.path)).toContain('samples.0.stddev');
    expect(poison.body.error.message).toMatch(/1e\+?12/);
    const real = await report(ts, [{ flag: 'poison-spread', metric: 'error_rate', count: 100_000, mean: 0.9, stddev: 0.3 }]);
    expect(real.status).toBe(201);
    expect(real.body.tripped).toEqual([expect.objectContaining({ flag: 'poison-spread', metric: 'error_rate', effect: 'kill' })]);
    expect((await flagOf('poison-spread')).killed).toBe(true);
  });

  it('a mean of −1e300 is refused and does not kill a flag whose real values are far inside the limit', async () => {
    const evalScore = { metric: 'eval_score', op: '>=', threshold: 0.7, guardrail: true, onBreach: 'kill' };
    await atStageOne('poison-low', evalScore, { metric: 'eval_score', count: 200, mean: 0.9, stddev: 0.05 });
    expect((await report(ts, [{ flag: 'poison-low', metric: 'eval_score', count: 100, mean: 0.9, stddev: 0.05 }])).body.tripped).toEqual([]);
    for (const bad of [{ count: 1000, mean: -1e300, stddev: 0 }, { value: -1e300 }, { count: 10, sum: -1e300, sumSq: 1e300 }]) {
      const r = await report(ts, [{ flag: 'poison-low', metric: 'eval_score', ...bad }]);
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await flagOf('poison-low')).killed).toBe(false);
    // The stage's evidence is the real samples only.
    expect((await seriesOf('poison-low', 'eval_score')).treatment).toMatchObject({ count: 100, mean: 0.9 });
  });

  it('a mean of +1e300 is refused and the gates API keeps answering', async () => {
    await createFlag(ts, 'poison-high');
    await putPlan(ts, 'poison-high', { stages: [{ percent: 5, checks: [{ metric: 'p95_latency_ms', op: '<=', threshold: 2500 }] }, { percent: 100 }] });
    expect((await report(ts, [{ flag: 'poison-high', metric: 'p95_latency_ms', count: 2, mean: 1e300, stddev: 0 }])).status).toBe(400);
    expect((await report(ts, [{ flag: 'poison-high', metric: 'p95_latency_ms', value: 1e300 }])).status).toBe(400);
    const g = await gatesOf('poison-high');
    expect(g.status).toBe(200);
    expect(g.body.gates.find((x: any) => x.gate === 'metric')).toMatchObject({ ok: false, outcome: 'inconclusive', n: 0 });
  });

  it("a metric's declared range refuses samples outside it with 400 naming the bound", async () => {
    await createFlag(ts, 'ranged');
    const plan = await putPlan(ts, 'ranged', { metrics: { eval_score: { min: 0, max: 1 } }, stages: [{ percent: 5, checks: [{ metric: 'eval_score', op: '>=', threshold: 0.8 }] }, { percent: 100 }] });
    expect(plan.status, plan.text).toBe(200);
    expect((await ts.api('GET', '/api/flags/ranged/plan', { as: 'viewer' })).body.plan.metrics).toEqual({ eval_score: { min: 0, max: 1 } });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ value: 1.5 }, 'samples.0.value'],
      [{ count: 10, mean: -0.1, stddev: 0 }, 'samples.0.mean'],
      [{ count: 10, sum: 20, sumSq: 40 }, 'samples.0.sum'],
      // Values in [0, 1] cannot spread more than half the range (times √(n/(n−1))).
      [{ count: 10, mean: 0.5, stddev: 0.9 }, 'samples.0.stddev'],
    ];
    for (const [bad, path] of cases) {
      const r = await report(ts, [{ flag: 'ranged', metric: 'eval_score', ...bad }]);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error.details.map((d: any) => d.path)).toContain(path);
      expect(r.body.error.message).toContain('[0, 1]');
    }
    expect((await report(ts, [{ flag: 'ranged', metric: 'eval_score', count: 10, mean: 0.5, stddev: 0.5 }])).status).toBe(201);
    expect((await report(ts, [{ flag: 'ranged', metric: 'eval_score', value: 1 }])).status).toBe(201);
    expect((await seriesOf('ranged', 'eval_score')).treatment.count).toBe(11);
    const bad = await putPlan(ts, 'ranged', { version: 1, metrics: { eval_score: { min: 1, max: 0 } }, stages: [{ percent: 100 }] });
    expect(bad.status).toBe(400);
  });

  it('whatever samples arrive, each is stored or refused with 400, the gates API answers 200 and the aggregates stay finite', async () => {
    await createFlag(ts, 'fuzzed');
    await putPlan(ts, 'fuzzed', {
      stages: [{ percent: 5, checks: [{ metric: 'latency', op: '<=', threshold: 2500 }, { metric: 'latency', maxDropPct: 5 }] }, { percent: 100 }],
    });
    const num = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e300, -1e300, 1e12, -1e12, 1e6, 0, 5e-324));
    const sample = fc.oneof(
      fc.record({ value: num }),
      fc.record({ count: fc.integer({ min: 1, max: 1_000_000 }), mean: num, stddev: fc.double({ min: 0, max: 1e300, noNaN: true }) }),
      fc.record({ count: fc.integer({ min: 1, max: 1_000_000 }), sum: num, sumSq: fc.double({ min: 0, max: 1e300, noNaN: true }) }),
    );
    const cohort = fc.constantFrom('treatment', 'control');
    await fc.assert(
      fc.asyncProperty(sample, cohort, async (s, c) => {
        time.advanceMinutes(1);
        const r = await report(ts, [{ flag: 'fuzzed', metric: 'latency', cohort: c, ...s }]);
        expect([201, 400], r.text + ts.logs.filter((l) => l.includes('"level":50')).slice(-1).join('')).toContain(r.status);
        const g = await gatesOf('fuzzed');
        expect(g.status, g.text).toBe(200);
        const series = await seriesOf('fuzzed', 'latency');
        for (const side of [series.treatment, series.control]) {
          if (side) for (const v of [side.count, side.mean, side.min, side.max]) expect(Number.isFinite(v), JSON.stringify(side)).toBe(true);
        }
      }),
      {
        numRuns: 40,
        seed: 20,
        // The shapes of the attack: a sum past the largest double, a spread of 1e200, means of ±1e300.
        examples: [
          [{ count: 1_000_000, mean: 1e303, stddev: 0 }, 'treatment'],
          [{ count: 2, mean: 0, stddev: 1e200 }, 'control'],
          [{ count: 2, mean: 1e300, stddev: 0 }, 'treatment'],
          [{ count: 2, mean: -1e300, stddev: 0 }, 'control'],
        ],
      },
    );
    // Samples at the edge of the bounds (the widest spread values in ±1e12 can have) fold into finite aggregates.
    for (const [mean, cohort] of [[5e11, 'treatment'], [-5e11, 'control']] as const) {
      time.advanceMinutes(1);
      const r = await report(ts, [{ flag: 'fuzzed', metric: 'latency', cohort, count: 1_000_000, mean, stddev: 8.6e11 }]);
      expect(r.status, r.text).toBe(201);
    }
    const g = (await gatesOf('fuzzed')).body.gates.filter((x: any) => x.gate === 'metric');
    for (const x of g) expect(x.n).toBeGreaterThan(0);
  });
});

describe('evidence is bounded per sample and scoped per token (issue 20 #3)', () => {
  it("one sample's count is bounded (MAX_SAMPLE_COUNT, default 1,000,000): 10¹² observations are refused with 400 naming the bound", async () => {
    await createFlag(ts, 'huge-count');
    await putPlan(ts, 'huge-count', { stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01 }] }, { percent: 100 }] });
    const r = await report(ts, [{ flag: 'huge-count', metric: 'error_rate', count: 1e12, mean: 0, stddev: 0 }]);
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: 'samples.0.count' })]);
    expect(r.body.error.message).toContain('1000000');
    expect(r.body.error.message).toContain('MAX_SAMPLE_COUNT');
    expect((await metricGate('huge-count', 'error_rate')).ok).toBe(false);
  });

  it('the rate limit counts observations, not samples: one sample of a million observations empties a token’s second', async () => {
    await createFlag(ts, 'observed');
    const token = await issueToken(ts.running.secret, 'pipeline-observed', 'metrics');
    expect((await reportAs(token, [{ flag: 'observed', metric: 'error_rate', count: 1_000_000, mean: 0.001, stddev: 0.01 }])).status).toBe(201);
    const r = await reportAs(token, [{ flag: 'observed', metric: 'error_rate', count: 10, mean: 0.001, stddev: 0.01 }]);
    expect(r.status).toBe(429);
    expect(r.body.error).toMatchObject({ code: 'metrics_rate_limited', details: { observations: 10 } });
    time.advanceMinutes(1);
    expect((await reportAs(token, [{ flag: 'observed', metric: 'error_rate', count: 10, mean: 0.001, stddev: 0.01 }])).status).toBe(201);
  });

  it('a metrics token limited to some flags reports for those only; another flag is a 403 naming it and nothing of the batch is stored', async () => {
    await createFlag(ts, 'scoped-a');
    await createFlag(ts, 'scoped-b');
    const token = await issueToken(ts.running.secret, 'pipeline-a', 'metrics', 3600, { flags: ['scoped-a'] });
    const r = await reportAs(token, [{ flag: 'scoped-a', metric: 'eval_score', value: 0.9 }, { flag: 'scoped-b', metric: 'eval_score', value: 0.1 }]);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('flag_out_of_scope');
    expect(r.body.error.message).toContain('scoped-b');
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: 'samples.1.flag' })]);
    expect((await seriesOf('scoped-a', 'eval_score'))?.treatment ?? null).toBeNull();
    expect((await reportAs(token, [{ flag: 'scoped-a', metric: 'eval_score', value: 0.9 }])).status).toBe(201);
  });

  it('a token whose flags claim is not a list of flag keys is refused with 401, whatever it asks', async () => {
    for (const flags of ['scoped-a', [], ['bad key!'], Array.from({ length: 101 }, (_, i) => `f${i}`)]) {
      const token = await new SignJWT({ role: 'metrics', flags }).setProtectedHeader({ alg: 'HS256' }).setSubject('forger').setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('1h').sign(ts.running.secret);
      const r = await reportAs(token, [{ flag: 'scoped-a', metric: 'eval_score', value: 0.9 }]);
      expect(r.status, JSON.stringify(flags)).toBe(401);
      expect(r.body.error.message).toContain('"flags" claim');
    }
  });

  it('switchyard token --role metrics --flags a,b mints a token for those flags only; --flags on another role is a usage error, not a stack', async () => {
    await createFlag(ts, 'cli-scoped');
    const r = await cli(['token', '--sub', 'eval-job', '--role', 'metrics', '--flags', 'cli-scoped,other-flag'], { DATA_DIR: ts.dataDir });
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())).toMatchObject({ role: 'metrics', flags: ['cli-scoped', 'other-flag'] });
    expect((await reportAs(token, [{ flag: 'cli-scoped', metric: 'eval_score', value: 0.9 }])).status).toBe(201);
    expect((await reportAs(token, [{ flag: 'scoped-b', metric: 'eval_score', value: 0.9 }])).status).toBe(403);
    const wrong = await cli(['token', '--sub', 'alice', '--role', 'pm', '--flags', 'cli-scoped'], { DATA_DIR: ts.dataDir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.split('\n')[0]).toContain('--flags limits a metrics token');
    expect(wrong.stderr).not.toMatch(/\n\s+at /);
  });

  it('the gate shows how many reporters (distinct token subjects) contributed to its evidence', async () => {
    await createFlag(ts, 'reported');
    await putPlan(ts, 'reported', { stages: [{ percent: 5, checks: [{ metric: 'eval_score', op: '>=', threshold: 0.5 }] }, { percent: 100 }] });
    expect(await metricGate('reported', 'eval_score')).toMatchObject({ reporters: 0 });
    for (const sub of ['eval-job', 'eval-job', 'online-scorer']) {
      const token = await issueToken(ts.running.secret, sub, 'metrics');
      expect((await reportAs(token, [{ flag: 'reported', metric: 'eval_score', count: 20, mean: 0.9, stddev: 0.05 }])).status).toBe(201);
    }
    expect(await metricGate('reported', 'eval_score')).toMatchObject({ reporters: 2, n: 60 });
  });
});
