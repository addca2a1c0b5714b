import { describe, expect, it } from 'vitest';
import { killColumns, type FlagPatch, type KillPatch } from './flag-store.js';

describe('the kill columns of the flags row', () => {
  it('a kill sets all five kill columns: killed, by whom, when, why and which kill', () => {
    expect(killColumns({ by: 'user:ana', at: '2026-12-01T10:00:00.000Z', reason: 'errors', killId: 'k-1' })).toEqual({
      killed: 1,
      killed_by: 'user:ana',
      killed_at: '2026-12-01T10:00:00.000Z',
      kill_reason: 'errors',
      kill_id: 'k-1',
    });
  });

  it('a restore clears all five kill columns', () => {
    expect(killColumns(null)).toEqual({ killed: 0, killed_by: null, killed_at: null, kill_reason: null, kill_id: null });
  });

  it('an open patch cannot carry a kill column, and a kill patch cannot be written by hand (checked by tsc)', () => {
    // @ts-expect-error: the kill columns are not part of FlagPatch
    const byHand: FlagPatch = { paused: 1, killed: 1 };
    // @ts-expect-error: a KillPatch comes only from killColumns()
    const forged: KillPatch = { killed: 1, killed_by: 'x', killed_at: 'y', kill_reason: 'z', kill_id: 'k' };
    const allowed: FlagPatch = { paused: 1, paused_by: 'system:guardrail' };
    expect([byHand, forged, allowed].map((p) => Object.keys(p).length)).toEqual([2, 5, 2]);
  });
});
