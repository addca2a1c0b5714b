import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFlag, unitServices, type UnitWorld } from '../helpers/unit-services.js';

let w: UnitWorld;
beforeEach(async () => {
  w = await unitServices();
});
afterEach(async () => {
  await w.close();
});

describe('the telemetry_flush job', () => {
  it('a flush that cannot write fails its run, so the scheduler counts it, and the counts are kept for the next run', async () => {
    await createFlag(w, 'counted');
    w.telemetry.record([{ key: 'counted', stage: 0, on: 0, off: 3, fallback: 0 }]);
    await sql`alter table flag_usage rename to flag_usage_away`.execute(w.db);
    await expect(w.telemetry.tick()).rejects.toThrow(/flag_usage/);
    await sql`alter table flag_usage_away rename to flag_usage`.execute(w.db);
    await w.telemetry.tick();
    expect(await w.telemetry.usage('counted')).toMatchObject({ evaluations: 3, stages: [{ stage: 0, off: 3 }] });
  });

  it('a run with nothing to write, or that wrote, resolves', async () => {
    await createFlag(w, 'quiet');
    await expect(w.telemetry.tick()).resolves.toBeUndefined();
    w.telemetry.record([{ key: 'quiet', stage: 0, on: 0, off: 1, fallback: 0 }]);
    await expect(w.telemetry.tick()).resolves.toBeUndefined();
    expect(await w.telemetry.usage('quiet')).toMatchObject({ evaluations: 1 });
  });
});
