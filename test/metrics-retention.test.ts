import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { manualClock, putPlan, report, signAndAdvance } from './rollout-fixtures.js';

// Retention (issue 11): raw samples and telemetry older than RETENTION_DAYS are pruned through
// the write gate in small non-urgent batches; the running aggregates stay.
const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock, config: { retentionDays: 30, metricsRateLimit: 1_000_000 } });
});
afterAll(async () => {
  await ts.close();
});

const count = async (table: 'metric_samples' | 'flag_usage' | 'flag_reach') =>
  (await ts.running.storage.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

describe('retention', () => {
  it('prunes raw samples, usage and reach rows past RETENTION_DAYS in batches; the stage evidence survives', async () => {
    await createFlag(ts, 'kept');
    await putPlan(ts, 'kept', { stages: [{ percent: 5 }, { percent: 50, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01 }] }, { percent: 100 }] });
    await signAndAdvance(ts, 'kept');
    for (let i = 0; i < 3; i++) await report(ts, Array.from({ length: 1000 }, (_, j) => ({ flag: 'kept', metric: 'error_rate', value: (j % 10) / 1000 })));
    const { db } = ts.running.storage;
    for (const day of ['2026-04-01', '2026-05-15', '2026-06-01', '2026-06-20']) {
      await db.insertInto('flag_usage').values({ environment: 'production', flag: 'kept', stage: 1, variant: 'on', day, count: 10, last_seen_at: `${day}T12:00:00.000Z` }).execute();
      await db.insertInto('flag_reach').values({ environment: 'production', flag: 'kept', stage: 1, day, regs: Buffer.from([0]) }).execute();
    }
    const gateBefore = (await ts.api('GET', '/api/flags/kept/gates', { as: 'viewer' })).body.gates.find((g: any) => g.gate === 'metric');
    expect(gateBefore).toMatchObject({ ok: true, samples: 3000 });

    time.advanceMinutes(29 * 24 * 60);
    expect(await ts.running.services.retention.prune()).toEqual({ samples: 0, usage: 2, reach: 2, names: 0 });
    expect(await count('metric_samples')).toBe(3000);
    time.advanceMinutes(2 * 24 * 60);
    await report(ts, [{ flag: 'kept', metric: 'error_rate', value: 0 }]);
    expect(await ts.running.services.retention.prune()).toEqual({ samples: 3000, usage: 1, reach: 1, names: 0 });
    expect(await count('metric_samples')).toBe(1);
    expect(await count('flag_usage')).toBe(1);
    expect(await count('flag_reach')).toBe(1);
    const gateAfter = (await ts.api('GET', '/api/flags/kept/gates', { as: 'viewer' })).body.gates.find((g: any) => g.gate === 'metric');
    expect(gateAfter).toMatchObject({ ok: true, samples: 3001 });
    expect(ts.logs.some((l) => l.includes('retention pruned'))).toBe(true);
  });

  it('a kill goes ahead of every prune batch still waiting at the write gate', async () => {
    await createFlag(ts, 'prune-kill');
    for (let i = 0; i < 2; i++) await report(ts, Array.from({ length: 1000 }, (_, j) => ({ flag: 'prune-kill', metric: 'latency_ms', value: j })));
    time.advanceMinutes(31 * 24 * 60);
    const stored = await count('metric_samples');
    const gate = ts.running.storage.gate;
    // Which write the gate admits, in order (urgent or not).
    const admitted: string[] = [];
    const run = gate.run.bind(gate);
    gate.run = (urgent, fn) => run(urgent, () => (admitted.push(urgent ? 'urgent' : 'normal'), fn()));
    try {
      let release!: () => void;
      const held = gate.run(false, () => new Promise<void>((r) => (release = r)));
      const prune = ts.running.services.retention.prune();
      for (let i = 0; i < 200 && gate.waiting.normal < 1; i++) await new Promise((r) => setTimeout(r, 5));
      const kill = ts.api('POST', '/api/flags/prune-kill/kill', { as: 'oncall', body: { reason: 'incident' } });
      for (let i = 0; i < 200 && gate.waiting.urgent < 1; i++) await new Promise((r) => setTimeout(r, 5));
      expect(gate.waiting).toEqual({ urgent: 1, normal: 1 });
      release();
      await held;
      expect((await kill).status).toBe(200);
      expect((await prune).samples).toBe(stored);
      // The held write, then the kill, then the prune's batches of at most 500 rows.
      expect(admitted.slice(0, 2)).toEqual(['normal', 'urgent']);
      expect(admitted.filter((a) => a === 'normal').length).toBeGreaterThanOrEqual(1 + Math.ceil(stored / 500));
    } finally {
      gate.run = run;
    }
  });
});
