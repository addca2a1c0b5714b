/** Reconnect delay for the n-th attempt (0-based): `base = min(max, initial * 2^n)`, uniformly in [base/2, base]. */
export function backoffDelay(attempt: number, random: () => number = Math.random, o: { initialMs?: number; maxMs?: number } = {}): number {
  const base = Math.min(o.maxMs ?? 30_000, (o.initialMs ?? 1000) * 2 ** Math.min(attempt, 30));
  return base / 2 + (base / 2) * random();
}
