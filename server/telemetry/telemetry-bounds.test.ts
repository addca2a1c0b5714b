import { describe, expect, it } from 'vitest';
import { FIRST_WINDOW_S, MAX_WINDOW_S, ReportWindows, screen } from './telemetry-bounds.js';

describe('telemetry bounds', () => {
  it("a connection's first report covers a minute, later ones the time since the previous (1 s to 10 min)", () => {
    let now = 0;
    const w = new ReportWindows(() => now);
    const conn = {};
    expect(w.seconds(conn)).toBe(FIRST_WINDOW_S);
    now += 100;
    expect(w.seconds(conn)).toBe(1);
    now += 30_000;
    expect(w.seconds(conn)).toBe(30);
    now += 3_600_000;
    expect(w.seconds(conn)).toBe(MAX_WINDOW_S);
    expect(w.seconds(undefined)).toBe(FIRST_WINDOW_S);
  });

  it('keeps rows of live flags at stages that exist and counts the rest by reason', () => {
    const refused: Array<[string, number]> = [];
    const rows = [
      { flag: 'a', stage: 0 },
      { flag: 'a', stage: 3 },
      { flag: 'a', stage: 4 },
      { flag: 'gone', stage: 0 },
    ];
    expect(screen(rows, new Map([['a', 3]]), (r, n) => refused.push([r, n]))).toEqual(rows.slice(0, 2));
    expect(refused).toEqual([
      ['unknown_flag', 1],
      ['unknown_stage', 1],
    ]);
  });
});
