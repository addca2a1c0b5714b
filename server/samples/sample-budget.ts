import { monotonicOf, type Clock } from '../clock.js';
import type { Counted, LimitStores, WindowCounter } from '../limits/limit-stores.js';
import { SampleRateLimiter, sampleRateLimited } from './sample-rate-limiter.js';

/** What one reporting token may send per second: samples (SAMPLES_RATE_LIMIT) and the observations they claim (SAMPLES_OBSERVATION_LIMIT). */
export interface SampleBudget {
  /** Takes `samples` rows and `observations` from `token`'s budget, or throws RateLimited and takes nothing. */
  take(token: string, samples: number, observations: number): void | Promise<void>;
}

export interface SampleRates {
  samplesPerSecond: number;
  observationsPerSecond: number;
  /** The largest count one sample may claim: a token's observation budget holds at least that. */
  maxSampleCount: number;
}

/**
 * The token's budget where limits count: in this process, two token buckets on the monotonic
 * clock (synchronous, as fast as before); on PostgreSQL, fixed windows every replica shares
 * (samples per second; observations per the fewest whole seconds that hold one sample of the
 * largest count), so N replicas behind a balancer still let a token send SAMPLES_RATE_LIMIT.
 */
export function sampleBudget(rates: SampleRates, stores: LimitStores, clock: Clock, onStoreError?: (err: unknown) => void): SampleBudget {
  const memory = new MemorySampleBudget(rates, clock);
  const now = () => clock().getTime();
  const samples = stores.windows('samples', rates.samplesPerSecond, 1000, now);
  const seconds = Math.ceil(Math.max(rates.observationsPerSecond, rates.maxSampleCount) / rates.observationsPerSecond);
  const observations = stores.windows('observations', rates.observationsPerSecond * seconds, seconds * 1000, now);
  if (!samples || !observations) return memory;
  return new SharedSampleBudget(samples, observations, rates, memory, onStoreError);
}

class MemorySampleBudget implements SampleBudget {
  private readonly samples: SampleRateLimiter;
  private readonly observations: SampleRateLimiter;

  constructor(rates: SampleRates, clock: Clock) {
    const monotonic = monotonicOf(clock);
    this.samples = new SampleRateLimiter(rates.samplesPerSecond, monotonic);
    // A bucket holds at least one sample of the largest count, so such a sample always fits in time.
    this.observations = new SampleRateLimiter(rates.observationsPerSecond, monotonic, 10_000, 'observations', Math.max(rates.observationsPerSecond, rates.maxSampleCount));
  }

  take(token: string, samples: number, observations: number): void {
    this.observations.check(token, observations);
    this.samples.take(token, samples);
    this.observations.take(token, observations);
  }
}

/** Both counts are added at once (one round trip each, in parallel); a batch that overflows either gives both back. */
class SharedSampleBudget implements SampleBudget {
  constructor(
    private readonly samples: WindowCounter,
    private readonly observations: WindowCounter,
    private readonly rates: SampleRates,
    /** Where the budget counts should the shared store fail: this process, as on one node. */
    private readonly fallback: SampleBudget,
    private readonly onStoreError?: (err: unknown) => void,
  ) {}

  async take(token: string, samples: number, observations: number): Promise<void> {
    let s: Counted;
    let o: Counted;
    try {
      [s, o] = await Promise.all([this.samples.add(token, samples), this.observations.add(token, observations)]);
    } catch (err) {
      this.onStoreError?.(err);
      return this.fallback.take(token, samples, observations);
    }
    const overObservations = o.count > this.observations.points;
    if (!overObservations && s.count <= this.samples.points) return;
    await Promise.all([s.giveBack(), o.giveBack()]).catch((err: unknown) => this.onStoreError?.(err));
    if (overObservations) throw sampleRateLimited('observations', this.rates.observationsPerSecond, observations, Math.max(1, Math.ceil(o.msLeft / 1000)));
    throw sampleRateLimited('samples', this.rates.samplesPerSecond, samples, Math.max(1, Math.ceil(s.msLeft / 1000)));
  }
}
