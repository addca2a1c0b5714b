/**
 * Local flag evaluation: a pure function over plain data that never throws.
 * The server's rollout preview calls this same function, so the server, the SDK
 * and the admin UI cannot disagree. The order of the steps is published in
 * docs/bucketing.md ("Evaluation order").
 */
import type { Evaluation, EvaluationErrorCode, EvaluationReason, FlagState, EvaluationContext, Json } from './protocol.js';
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

// What settled an evaluation: decide() returns one of these, and evaluate() or
// evaluateValue() turns it into a result, so both follow the same steps.
const NOT_FOUND = 0;
const KILLED = 1;
const INVALID_CONTEXT = 2;
const COHORT_MISS = 3;
const BAD_PERCENT = 4;
const NOT_STARTED = 5;
const FULL = 6;
const NO_KEY = 7;
const IN = 8;
const OUT = 9;

/** The reason and error code of each step, by step. */
const REASONS: EvaluationReason[] = ['FLAG_NOT_FOUND', 'KILLED', 'ERROR', 'COHORT_MISS', 'ERROR', 'NOT_STARTED', 'ROLLOUT_IN', 'ERROR', 'ROLLOUT_IN', 'ROLLOUT_OUT'];
const ERROR_CODES: Array<EvaluationErrorCode | undefined> = [, , 'INVALID_CONTEXT', , 'GENERAL', , , 'TARGETING_KEY_MISSING'];

/** The bucket computed by the last decide() that returned IN or OUT. */
let lastBucket = 0;
/** Whether the last evaluateValue() served the flag's `on` value (reason ROLLOUT_IN). */
let servedOn = false;

/** The steps of evaluation, allocating nothing; may throw on malformed input (callers catch). */
function decide(flag: FlagState | undefined, ctx: EvaluationContext): number {
  // 1. No such flag: the client substitutes the caller's fallback.
  if (flag === undefined || flag === null) return NOT_FOUND;

  // 2. A killed flag serves its off value to everyone, whatever its plan says.
  if (flag.killed) return KILLED;

  // 3. Cohort: the context must be an object, and every rule must hold.
  if (typeof ctx !== 'object' || ctx === null) return INVALID_CONTEXT;
  if (flag.cohort.length > 0 && !matchesCohort(flag.cohort, ctx)) return COHORT_MISS;

  // 4. Not started (stage 0, or any percentage <= 0).
  const percent = flag.percent;
  if (typeof percent !== 'number' || percent !== percent) return BAD_PERCENT;
  if (percent <= 0) return NOT_STARTED;

  // 5. Fully rolled out: everyone eligible is in, no key needed.
  if (percent >= 100) return FULL;

  // 6. A partial rollout needs a bucketing key.
  const key = targetingKey(ctx);
  if (key === undefined) return NO_KEY;

  // 7. In iff the key's bucket is below round(percent * 100).
  lastBucket = bucketOf(seedOf(flag), key);
  return lastBucket < rolloutThreshold(percent) ? IN : OUT;
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
    const step = decide(flag, ctx);
    if (step === NOT_FOUND) return { value: null, reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' };
    const f = flag!;
    const r: Evaluation = { value: step === FULL || step === IN ? f.on : f.off, reason: REASONS[step]! };
    const errorCode = ERROR_CODES[step];
    if (errorCode) r.errorCode = errorCode;
    if (step >= IN) r.bucket = lastBucket;
    r.flagVersion = f.version;
    return r;
  } catch {
    return failure(flag);
  }
}

/**
 * The value `evaluate(flag, ctx)` serves, or `miss` where it reports no value
 * (reason `FLAG_NOT_FOUND` or `ERROR`), without building a result object: the
 * client's `value()`/`isEnabled()` hot path allocates nothing. Never throws.
 */
export function evaluateValue<M>(flag: FlagState | undefined, ctx: EvaluationContext, miss: M): Json | M {
  servedOn = false;
  try {
    switch (decide(flag, ctx)) {
      case KILLED:
      case COHORT_MISS:
      case NOT_STARTED:
      case OUT:
        return flag!.off;
      case FULL:
      case IN:
        servedOn = true;
        return flag!.on;
      default:
        return miss;
    }
  } catch {
    return miss;
  }
}

/** Whether the last `evaluateValue()` served the flag's `on` value (what `evaluate()` calls ROLLOUT_IN). */
export function lastServedOn(): boolean {
  return servedOn;
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
