/** Seeds flags, plans, sign-offs and metrics through the real API, as the roles that may do it. */
import { createFlag, type TestServer } from '../helpers/server.js';

export const PLAN = {
  cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }],
  stages: [
    {
      percent: 5,
      signoffs: 1,
      soakMinutes: 0,
      checks: [
        { metric: 'eval_score', maxDropPct: 5, baseline: 0.86 },
        { metric: 'error_rate', op: '<=', threshold: 0.01, guardrail: true, onBreach: 'pause' },
      ],
    },
    {
      percent: 25,
      signoffs: 1,
      soakMinutes: 1440,
      plannedAt: '2026-12-01T09:00:00Z',
      checks: [
        { metric: 'eval_score', maxDropPct: 5, baseline: 0.86 },
        { metric: 'p95_latency_ms', op: '<=', threshold: 2500 },
      ],
    },
    { percent: 100, signoffs: 2, soakMinutes: 2880, checks: [{ metric: 'cost_usd_per_day', op: '<=', threshold: 40 }] },
  ],
};

export async function ok(ts: TestServer, method: string, p: string, as: Parameters<TestServer['token']>, body?: unknown) {
  const res = await ts.api(method, p, { token: await ts.token(...as), body });
  if (res.status >= 300) throw new Error(`${method} ${p} as ${as.join('/')}: ${res.status} ${res.text}`);
  return res.body;
}

/** Signs off the next stage of `key` on the evidence the gates show now (the API requires its snapshotId). */
export async function signOff(ts: TestServer, key: string, as: Parameters<TestServer['token']>, comment: string) {
  const { snapshotId } = await ok(ts, 'GET', `/api/flags/${key}/gates`, ['viewer']);
  return ok(ts, 'POST', `/api/flags/${key}/signoffs`, as, { comment, snapshotId });
}

/** A flag with the default plan, authored by pm "pm-alice". */
export async function flagWithPlan(ts: TestServer, key: string, extra: Record<string, unknown> = {}, plan: unknown = PLAN) {
  await createFlag(ts, key, extra);
  await ok(ts, 'PUT', `/api/flags/${key}/plan`, ['pm', 'pm-alice'], plan);
}

export async function metrics(ts: TestServer, flag: string, samples: Array<[metric: string, value: number]>) {
  await ok(ts, 'POST', '/api/metrics', ['metrics', 'eval-reporter'], {
    samples: samples.map(([metric, value]) => ({ flag, metric, value, cohort: 'treatment' })),
  });
}

/**
 * Aggregate samples (issue 15): `[metric, count, mean, stddev]` each, as an evaluation job sends
 * them. A gate decides only on evidence (at least 30 samples by default), so the browser tests
 * seed aggregates rather than single values.
 */
export async function aggregates(ts: TestServer, flag: string, rows: Array<[metric: string, count: number, mean: number, stddev: number]>, cohort = 'treatment') {
  await ok(ts, 'POST', '/api/metrics', ['metrics', 'eval-reporter'], {
    samples: rows.map(([metric, count, mean, stddev]) => ({ flag, metric, count, mean, stddev: count === 1 ? 0 : stddev, cohort })),
  });
}
