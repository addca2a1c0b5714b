import { describe, expect, it } from 'vitest';
import { steadyClock, type Clock } from './clock.js';

describe('steadyClock', () => {
  it('follows monotonic time from the wall clock read at start, whatever the wall clock does after', () => {
    let wall = Date.parse('2026-06-01T09:00:00Z');
    let mono = 5_000;
    const source: Clock = Object.assign(() => new Date(wall), { monotonic: () => mono });
    const steady = steadyClock(source);
    wall -= 600_000; // stepped back 10 minutes
    expect(steady().toISOString()).toBe('2026-06-01T09:00:00.000Z');
    expect(steady.skewMs()).toBe(-600_000);
    mono += 60_000;
    wall += 86_400_000; // stepped a day forward
    expect(steady().toISOString()).toBe('2026-06-01T09:01:00.000Z');
  });

  it('is the wall clock itself for a clock without a monotonic reading, and wraps only once', () => {
    let t = Date.parse('2026-06-01T09:00:00Z');
    const steady = steadyClock(() => new Date(t));
    t += 1234;
    expect(steady().getTime()).toBe(t);
    expect(steadyClock(steady)).toBe(steady);
  });
});
