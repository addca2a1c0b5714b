/**
 * The time source services use, so tests can hand in a fixed or stepping clock instead of sleeping.
 * Calling it reads the wall clock; `monotonic()` (milliseconds, any origin) is a reading that a
 * wall-clock step (NTP, a VM resume, an operator's `date -s`) does not move. A clock without one
 * (a test's hand-moved clock) is its own monotonic reading.
 */
export interface Clock {
  (): Date;
  monotonic?: () => number;
}

export const systemClock: Clock = Object.assign(() => new Date(), { monotonic: () => performance.now() });

/** A clock's monotonic reading, or its wall time when it has none. */
export function monotonicOf(clock: Clock): () => number {
  return clock.monotonic ?? (() => clock().getTime());
}

/**
 * The server's time: the wall clock read once, when this is called, plus the monotonic time
 * elapsed since. Stage ages, soak times and sample receive times all come from it, so stepping
 * the host's clock back or forward after start changes none of them (a restart re-reads the
 * wall clock). `skewMs()` says how far the wall clock has moved away from it since.
 */
export type SteadyClock = Clock & { skewMs(): number };

export function steadyClock(source: Clock): SteadyClock {
  if ('skewMs' in source) return source as SteadyClock;
  const mono = monotonicOf(source);
  const wall0 = source().getTime();
  const mono0 = mono();
  const now = () => new Date(wall0 + (mono() - mono0));
  return Object.assign(now, { monotonic: mono, skewMs: () => source().getTime() - now().getTime() });
}
