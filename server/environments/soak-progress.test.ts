import { describe, expect, it } from 'vitest';
import { putPlanSchema } from '../rollout/plan-schema.js';
import { soakPointOfRow, soakPointsFromAudit } from './soak-history.js';
import { previousEnvironment, soakDuration, soakProgress, type SoakPoint } from './soak-progress.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const at = (hours: number) => new Date(T0 + hours * 3_600_000).toISOString();
const point = (hours: number, percent: number, more: Partial<SoakPoint> = {}): SoakPoint => ({ at: at(hours), percent, killed: false, paused: false, ...more });
const req = { environment: 'staging', percent: 25, soakMinutes: 1440 };

describe('requirePrevious: how long the previous environment has held a percentage', () => {
  it('reads "staging has held 25% for 3 h of 24 h" three hours after staging reached 25%', () => {
    const p = soakProgress(req, [point(0, 5), point(10, 25)], new Date(at(13)));
    expect(p).toMatchObject({ ok: false, heldMs: 3 * 3_600_000, neededMs: 24 * 3_600_000, since: at(10) });
    expect(p.detail).toBe('staging has held 25% for 3 h of 24 h: 21 h to go');
  });

  it('passes once the soak is over, and says how long it held', () => {
    const p = soakProgress(req, [point(0, 5), point(10, 25)], new Date(at(34)));
    expect(p.ok).toBe(true);
    expect(p.detail).toBe('staging has held 25% for 24 h (needs 24 h)');
  });

  it('counts a higher percentage as holding the lower one, across advances', () => {
    const p = soakProgress(req, [point(0, 25), point(5, 50), point(20, 100)], new Date(at(30)));
    expect(p).toMatchObject({ ok: true, since: at(0), heldMs: 30 * 3_600_000 });
  });

  it('restarts the soak after a kill: time before the kill does not count', () => {
    const history = [point(0, 25), point(20, 25, { killed: true }), point(21, 25)];
    const p = soakProgress(req, history, new Date(at(30)));
    expect(p).toMatchObject({ ok: false, since: at(21), heldMs: 9 * 3_600_000 });
  });

  it('restarts the soak after a pause, and after a rollback below the percentage', () => {
    expect(soakProgress(req, [point(0, 25), point(2, 25, { paused: true }), point(4, 25)], new Date(at(10))).since).toBe(at(4));
    expect(soakProgress(req, [point(0, 25), point(2, 5), point(4, 25)], new Date(at(10))).since).toBe(at(4));
  });

  it('holds nothing while the previous environment is killed, paused or below the percentage, and says which', () => {
    expect(soakProgress(req, [point(0, 25), point(1, 25, { killed: true })], new Date(at(50))).detail).toBe(
      'staging is killed: it must hold 25% for 24 h, unkilled and unpaused',
    );
    expect(soakProgress(req, [point(0, 25, { paused: true })], new Date(at(50))).detail).toMatch(/^staging's rollout is paused/);
    const low = soakProgress(req, [point(0, 5)], new Date(at(50)));
    expect(low).toMatchObject({ ok: false, heldMs: 0, since: null });
    expect(low.detail).toMatch(/^staging serves 5%, not 25%/);
    expect(soakProgress(req, [], new Date(at(50))).detail).toMatch(/^staging has not served this flag yet/);
  });

  it('does not count points after now (a clock behind the audit) and takes points in time order', () => {
    const p = soakProgress(req, [point(30, 0, { killed: true }), point(0, 25)], new Date(at(25)));
    expect(p).toMatchObject({ ok: true, since: at(0) });
  });

  it('builds the history from audit entries that carry the flag, skipping sign-offs', () => {
    const entries = [
      { at: at(0), after: { key: 'f', stage: 1, percent: 5, killed: false, paused: false } },
      { at: at(1), after: { planVersion: 1, stage: 2, signers: ['pm'] } },
      { at: at(2), after: { key: 'f', stage: 2, percent: 25, killed: false, paused: false, gates: [] } },
      { at: at(3), after: { key: 'f', stage: 2, percent: 25, killed: false, paused: false, archived: true } },
    ];
    expect(soakPointsFromAudit(entries)).toEqual([point(0, 5), point(2, 25), point(3, 25, { killed: true })]);
    expect(soakPointOfRow({ updated_at: at(4), killed: 0, paused: 1, archived: 0 }, 25)).toEqual(point(4, 25, { paused: true }));
  });
});

describe('soak durations as a person reads them', () => {
  it('writes minutes, hours up to two days, then days', () => {
    expect([0, 59_999, 45 * 60_000, 3 * 3_600_000, 150 * 60_000, 24 * 3_600_000, 76 * 3_600_000, 72 * 3_600_000].map(soakDuration)).toEqual([
      '0 min', '0 min', '45 min', '3 h', '2 h 30 min', '24 h', '3 d 4 h', '3 d',
    ]);
  });
});

describe('the environment before another, by order', () => {
  const envs = [
    { key: 'production', order: 2 },
    { key: 'development', order: 0 },
    { key: 'staging', order: 1 },
    { key: 'qa', order: 1, archived: true },
  ];

  it('is the one of the next lower order that is not archived; the first has none', () => {
    expect(previousEnvironment(envs, 'production')?.key).toBe('staging');
    expect(previousEnvironment(envs, 'staging')?.key).toBe('development');
    expect(previousEnvironment(envs, 'development')).toBeNull();
  });
});

describe('requirePrevious in a plan', () => {
  const plan = (requirePrevious: unknown) => putPlanSchema.safeParse({ stages: [{ percent: 25, requirePrevious }, { percent: 100 }] });

  it('takes whole minutes from 1 to a year', () => {
    expect(plan({ soakMinutes: 1440 }).data?.stages[0]?.requirePrevious).toEqual({ soakMinutes: 1440 });
    expect(plan({ soakMinutes: 525_600 }).success).toBe(true);
  });

  it('refuses 0, a fraction, more than a year, a non-number and unknown fields, each with what was wrong', () => {
    const message = (v: unknown) => plan(v).error?.issues[0]?.message;
    expect(message({ soakMinutes: 0 })).toBe('requirePrevious.soakMinutes must be at least 1');
    expect(message({ soakMinutes: 1.5 })).toBe('requirePrevious.soakMinutes must be a whole number of minutes');
    expect(message({ soakMinutes: 525_601 })).toBe('requirePrevious.soakMinutes must be at most 525600 (a year)');
    expect(message({ soakMinutes: '60' })).toBe('requirePrevious.soakMinutes must be a number of minutes');
    expect(plan({ soakMinutes: 60, percent: 5 }).success).toBe(false);
    expect(plan({ soakMinutes: Number.POSITIVE_INFINITY }).success).toBe(false);
  });
});
