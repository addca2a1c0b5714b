/**
 * The running moments of a set of observations, kept the numerically stable way: count, mean and
 * M2 (the sum of squared deviations from the mean), merged by Chan et al.'s parallel form of
 * Welford's update. Sums of squares lose every digit of the spread when the mean is large beside
 * it and overflow long before the values do; these stay within the values' own range (the mean)
 * and n·range² (M2). Pure.
 */
export interface Moments {
  n: number;
  mean: number;
  /** Σ(x − mean)²: the sample variance is m2 / (n − 1). */
  m2: number;
}

export const EMPTY_MOMENTS: Moments = { n: 0, mean: 0, m2: 0 };

/** Two disjoint sets of observations as one (Chan, Golub and LeVeque 1979). */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  const wb = b.n / n;
  return { n, mean: a.mean + delta * wb, m2: a.m2 + b.m2 + delta * delta * a.n * wb };
}

/** `{count, mean, stddev}` (stddev with the n − 1 denominator) as moments. */
export function momentsOf(count: number, mean: number, stddev: number): Moments {
  return { n: count, mean, m2: count > 1 ? (count - 1) * stddev * stddev : 0 };
}
