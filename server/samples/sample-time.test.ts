import { describe, expect, it } from 'vitest';
import { measuredAt, tooFarAhead } from './sample-time.js';

const received = new Date('2026-06-01T09:00:00Z');
const at = (iso: string) => new Date(iso);

describe('reporter clock tolerance', () => {
  it('a sample without at, or with an at within 5 minutes either way, counts as measured when received', () => {
    expect(measuredAt(undefined, received)).toBe(received);
    expect(measuredAt(at('2026-06-01T08:55:00Z'), received)).toBe(received);
    expect(measuredAt(at('2026-06-01T09:05:00Z'), received)).toBe(received);
  });

  it('an at more than 5 minutes in the past is believed, and more than 5 minutes ahead is too far', () => {
    expect(measuredAt(at('2026-06-01T08:54:59Z'), received).toISOString()).toBe('2026-06-01T08:54:59.000Z');
    expect(tooFarAhead(at('2026-06-01T09:05:00Z'), received)).toBe(false);
    expect(tooFarAhead(at('2026-06-01T09:05:01Z'), received)).toBe(true);
  });
});
