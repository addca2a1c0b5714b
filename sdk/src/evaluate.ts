/**
 * Local flag evaluation: a pure function over plain data that never throws.
 * The server's rollout preview calls this same function, so the server, the SDK
 * and the admin UI cannot disagree. The order of the steps is published in
 * docs/bucketing.md ("Evaluation order").
 */
import type { Evaluation, FlagState, EvaluationContext } from './protocol.js';
import { bucketOf, rolloutThreshold, saltSeed } from './bucket.js';
import { matchesCohort } from './cohort.js';

/** Bucketing seeds by salt: a handful of entries, one per flag, never stale. */
const seeds = new Map<string, number>();
const MAX_SEEDS = 10_000;
let lastSalt = '';
let lastSeed = 0; // murmur3('', 0)

/**
 * The bucketing seed of a flag state, `murmur3(salt, 0)`. Cached by salt (the
 * last one looked up is checked first), so the hot path hashes only the key.
 */
export function seedOf(flag: FlagState): number {
  const salt = flag.salt;
  if (salt === lastSalt) return lastSeed;
  let seed = seeds.get(salt);
  if (seed === undefined) {
    if (typeof salt !== 'string') throw new TypeError('flag salt must be a string');
    if (seeds.size >= MAX_SEEDS) seeds.clear();
    seed = saltSeed(salt);
    seeds.set(salt, seed);
  }
  lastSalt = salt;
  lastSeed = seed;
  return seed;
}

/**
 * The bucketing key of a context: a non-empty string as is, a finite number as
 * `String(n)`; anything else is missing (undefined).
 */
export function targetingKey(ctx: EvaluationContext): string | undefined {
  const key: unknown = ctx.key;
  if (typeof key === 'string') return key.length > 0 ? key : undefined;
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  return undefined;
}

/**
 * Evaluates a flag for a context. Never throws: a missing flag gives
 * `{ value: null, reason: 'FLAG_NOT_FOUND' }` (the client then serves the
 * caller's fallback), and any other failure serves the flag's `off` value with
 * reason `ERROR` and an `errorCode`. Every result for an existing flag carries
 * `flagVersion`; results that applied a percentage carry the context's `bucket`.
 *
 * The state of the rollout (`paused`, `stage`) does not change what a context
 * gets: a paused rollout keeps serving its current percentage.
 */
export function evaluate(flag: FlagState | undefined, ctx: EvaluationContext): Evaluation {
  try {
    // 1. No such flag: the client substitutes the caller's fallback.
    if (flag === undefined || flag === null) {
      return { value: null, reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' };
    }
    const flagVersion = flag.version;

    // 2. A killed flag serves its off value to everyone, whatever its plan says.
    if (flag.killed) return { value: flag.off, reason: 'KILLED', flagVersion };

    // 3. Cohort: the context must be an object, and every rule must hold.
    if (typeof ctx !== 'object' || ctx === null) {
      return { value: flag.off, reason: 'ERROR', errorCode: 'INVALID_CONTEXT', flagVersion };
    }
    if (flag.cohort.length > 0 && !matchesCohort(flag.cohort, ctx)) {
      return { value: flag.off, reason: 'COHORT_MISS', flagVersion };
    }

    // 4. Not started (stage 0, or any percentage <= 0).
    const percent = flag.percent;
    if (typeof percent !== 'number' || percent !== percent) {
      return { value: flag.off, reason: 'ERROR', errorCode: 'GENERAL', flagVersion };
    }
    if (percent <= 0) return { value: flag.off, reason: 'NOT_STARTED', flagVersion };

    // 5. Fully rolled out: everyone eligible is in, no key needed.
    if (percent >= 100) return { value: flag.on, reason: 'ROLLOUT_IN', flagVersion };

    // 6. A partial rollout needs a bucketing key.
    const key = targetingKey(ctx);
    if (key === undefined) {
      return { value: flag.off, reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING', flagVersion };
    }

    // 7. In iff the key's bucket is below round(percent * 100).
    const bucket = bucketOf(seedOf(flag), key);
    const inside = bucket < rolloutThreshold(percent);
    return { value: inside ? flag.on : flag.off, reason: inside ? 'ROLLOUT_IN' : 'ROLLOUT_OUT', bucket, flagVersion };
  } catch {
    return failure(flag);
  }
}

/** The result when evaluation itself failed: the flag's off value (or null), reason ERROR. */
function failure(flag: FlagState | undefined): Evaluation {
  try {
    const result: Evaluation = { value: flag?.off ?? null, reason: 'ERROR', errorCode: 'GENERAL' };
    if (typeof flag?.version === 'number') result.flagVersion = flag.version;
    return result;
  } catch {
    return { value: null, reason: 'ERROR', errorCode: 'GENERAL' };
  }
}
