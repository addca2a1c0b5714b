import { describe, expect, it } from 'vitest';
import type { Counted, WindowCounter } from '../limits/limit-stores.js';
import { TooManyAuthFailures } from './auth-limiter.js';
import { SharedAuthFailureLimiter } from './shared-auth-limiter.js';

/** Two replicas' view of one shared store: a map of fixed windows on a hand-moved clock. */
function sharedStore(windowMs: number, now: () => number) {
  const counts = new Map<string, number>();
  let down = false;
  const counter: WindowCounter = {
    points: 0,
    windowMs,
    async add(key, n): Promise<Counted> {
      if (down) throw new Error('connection refused');
      const w = Math.floor(now() / windowMs);
      const k = `${key}@${w}`;
      counts.set(k, (counts.get(k) ?? 0) + n);
      return { count: counts.get(k)!, msLeft: (w + 1) * windowMs - now(), giveBack: async () => void counts.set(k, counts.get(k)! - n) };
    },
  };
  return { counter, fail: (d: boolean) => (down = d) };
}

describe('SharedAuthFailureLimiter', () => {
  it('two replicas on one store refuse an address once its failures on both reach the limit, and forget it when the window ends', async () => {
    let t = 0;
    const store = sharedStore(60_000, () => t);
    const [a, b] = [new SharedAuthFailureLimiter(store.counter, 4, () => t), new SharedAuthFailureLimiter(store.counter, 4, () => t)];
    for (let i = 0; i < 4; i++) await (i % 2 ? b : a).fail('10.0.0.1', `guess-${i}`);
    // b counted the fourth: it refuses the address's anonymous requests before any lookup.
    expect(() => b.refuseAnonymous('10.0.0.1')).toThrow(TooManyAuthFailures);
    // a has not seen it at the limit yet: its next failure there is the 429 instead of a 401.
    expect(() => a.refuseAnonymous('10.0.0.1')).not.toThrow();
    await expect(a.fail('10.0.0.1', 'guess-5')).rejects.toThrow(/try again in 60s/);
    expect(() => a.refuseAnonymous('10.0.0.1')).toThrow(TooManyAuthFailures);
    t = 60_000;
    expect(() => a.refuseAnonymous('10.0.0.1')).not.toThrow();
    await expect(a.fail('10.0.0.1', 'guess-6')).resolves.toBeUndefined();
  });

  it('when the shared store fails, failures count in this replica as on one node and the store error is reported, never thrown', async () => {
    const store = sharedStore(60_000, () => 0);
    const errors: unknown[] = [];
    const l = new SharedAuthFailureLimiter(store.counter, 2, () => 0, (err) => errors.push(err));
    store.fail(true);
    await l.fail('10.0.0.2', undefined);
    await l.fail('10.0.0.2', undefined);
    await expect(l.fail('10.0.0.2', undefined)).rejects.toThrow(TooManyAuthFailures);
    expect(() => l.refuseAnonymous('10.0.0.2')).toThrow(TooManyAuthFailures);
    expect(errors).toHaveLength(3);
  });

  it('keeps at most maxEntries addresses it has seen at the limit however many there are', async () => {
    const store = sharedStore(60_000, () => 0);
    const l = new SharedAuthFailureLimiter(store.counter, 1, () => 0, undefined, 100);
    for (let i = 0; i < 1000; i++) await l.fail(`10.1.${i >> 8}.${i & 255}`, undefined);
    expect(l.size).toBeLessThanOrEqual(100);
  });
});
