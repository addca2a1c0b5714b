import { describe, expect, it } from 'vitest';
import type { Counted, LimitStores } from '../limits/limit-stores.js';
import { sampleBudget } from './sample-budget.js';

/** A store as PostgreSQL's behaves (shared fixed windows), kept in a map, on a hand-moved clock. */
function mapStore(): LimitStores & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    kind: 'postgres',
    counts,
    jobs: [],
    windows: (name, points, windowMs, now) => ({
      points,
      windowMs,
      async add(key, n): Promise<Counted> {
        const w = Math.floor(now() / windowMs);
        const k = `${name}:${key}@${w}`;
        counts.set(k, (counts.get(k) ?? 0) + n);
        return { count: counts.get(k)!, msLeft: (w + 1) * windowMs - now(), giveBack: async () => void counts.set(k, counts.get(k)! - n) };
      },
    }),
    close: async () => undefined,
  };
}

describe('a shared sample budget', () => {
  it('refuses a batch that overflows a token\'s second with 429 naming the limit, and gives back what it counted', async () => {
    let t = 5_000;
    const store = mapStore();
    const budget = sampleBudget({ samplesPerSecond: 10, observationsPerSecond: 100, maxSampleCount: 100 }, store, () => new Date(t));
    await budget.take('bot', 8, 8);
    await expect(budget.take('bot', 3, 3)).rejects.toMatchObject({ status: 429, code: 'metrics_rate_limited', details: { limitPerSecond: 10, samples: 3, retryAfterSeconds: 1 } });
    expect(store.counts.get('samples:bot@5')).toBe(8);
    expect(store.counts.get('observations:bot@5')).toBe(8);
    await budget.take('bot', 2, 2);
    t += 1000;
    await budget.take('bot', 10, 10);
  });

  it('counts observations in the fewest whole seconds that hold one sample of the largest count', async () => {
    const t = 0;
    const store = mapStore();
    const budget = sampleBudget({ samplesPerSecond: 1000, observationsPerSecond: 1000, maxSampleCount: 2500 }, store, () => new Date(t));
    await budget.take('bot', 1, 2500);
    await budget.take('bot', 1, 500);
    await expect(budget.take('bot', 1, 1)).rejects.toMatchObject({ status: 429, details: { limitPerSecond: 1000, observations: 1, retryAfterSeconds: 3 } });
  });

  it('on one node the budget is the in-memory one and takes a batch without waiting', () => {
    const memory: LimitStores = { kind: 'memory', windows: () => undefined, jobs: [], close: async () => undefined };
    const budget = sampleBudget({ samplesPerSecond: 10, observationsPerSecond: 100, maxSampleCount: 100 }, memory, () => new Date(0));
    expect(budget.take('bot', 10, 10)).toBeUndefined();
    expect(() => budget.take('bot', 1, 1)).toThrow(/10 metric samples per second/);
  });
});
