/**
 * Local flag evaluation: a pure function over plain data that never throws.
 * The server's rollout preview calls this same function, so the server, the SDK
 * and the admin UI cannot disagree. The order of the steps is published in
 * docs/bucketing.md ("Evaluation order").
 */
import type { CohortRule, Evaluation, EvaluationErrorCode, EvaluationReason, FlagState, EvaluationContext, Json } from './protocol.js';
import { bucketOf, saltSeed, type HashOut } from './bucket.js';
import { matchesCohort } from './cohort.js';
import { leaseMs } from './lease.js';

/** The bucketing seed of a flag state, `murmur3(salt, 0)` (a prepared flag computes it once). */
export function seedOf(flag: FlagState): number {
  const salt = flag.salt;
  if (typeof salt !== 'string') throw new TypeError('salt');
  return saltSeed(salt);
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
 * What settled an evaluation, ordered so that a range says what is served: below OUT the
 * flag's `on` value, below INVALID_CONTEXT its `off` value, else no value. A const enum: the
 * steps compile to literals (a module constant becomes a variable V8 loads on every use).
 */
const enum Step {
  IN,
  FULL,
  OUT,
  KILLED,
  COHORT_MISS,
  NOT_STARTED,
  INVALID_CONTEXT,
  BROKEN,
  NO_KEY,
  /** Only as PreparedFlag.pre: the key's bucket decides (with a usable salt, or not). */
  ROLL,
  ROLL_BAD_SALT,
}

/** The reason and error code of each step, by step. */
const REASONS = 'ROLLOUT_IN ROLLOUT_IN ROLLOUT_OUT KILLED COHORT_MISS NOT_STARTED ERROR ERROR ERROR'.split(' ') as EvaluationReason[];
const ERROR_CODES = ',,,,,,INVALID_CONTEXT,GENERAL,TARGETING_KEY_MISSING'.split(',') as Array<EvaluationErrorCode | ''>;

/**
 * decide() answers a step in the low 4 bits and, at step 7, the key's bucket above them: one
 * small integer (never a heap number), so the bucket travels without module state.
 */
const enum Decided {
  BITS = 4,
  STEP = 15,
}

/**
 * A flag state prepared for evaluation: what does not depend on the context (the kill, the
 * percentage, the seed and threshold) is worked out once, when the state arrives. Every
 * prepared flag has this one shape, so the evaluation hot path reads its fields through
 * monomorphic inline caches whatever shape the state had on arrival. The client keeps one per
 * flag, with the flag's evaluation counters (telemetry) beside it: one Map lookup per call.
 */
export class PreparedFlag {
  /** The outcome for every context that passes the cohort (KILLED wins before it): a step, or ROLL. */
  readonly pre: Step = Step.BROKEN;
  /** The cohort rules, or null when there are none. */
  readonly rules: readonly CohortRule[] | null = null;
  readonly seed: number = 0;
  /** Buckets below this are in: `rolloutThreshold(percent)`. */
  readonly cut: number = 0;
  readonly on: Json;
  readonly off: Json;
  /** The fail-safe lease in ms (`maxStaleSeconds` × 1000), 0 for none: the client serves `off` past it (lease.ts). */
  readonly leaseMs: number = 0;
  /** Telemetry: evaluations since the last report that served `on`, `off`, the caller's fallback. */
  n1 = 0;
  n0 = 0;
  nf = 0;

  constructor(readonly f: FlagState) {
    this.on = f.on;
    this.off = f.off;
    try {
      this.leaseMs = leaseMs(f);
      if (f.killed) {
        this.pre = Step.KILLED;
        return;
      }
      const rules = f.cohort;
      if (rules.length > 0) this.rules = rules;
      const percent = f.percent;
      if (typeof percent !== 'number' || percent !== percent) return; // BROKEN
      if (percent <= 0) this.pre = Step.NOT_STARTED;
      else if (percent >= 100) this.pre = Step.FULL;
      else {
        this.cut = Math.round(percent * 100); // rolloutThreshold(percent), as 0 < percent < 100 here
        this.pre = Step.ROLL_BAD_SALT;
        this.seed = seedOf(f);
        this.pre = Step.ROLL;
      }
    } catch {
      // a malformed state: BROKEN, or ROLL_BAD_SALT (a missing key is still reported first)
    }
  }
}

/**
 * The steps of evaluation, allocating nothing: the step, plus the bucket at step 7 (see
 * Decided). With `out`, step 7 also leaves the key's 30-bit hash there (the reach sketch's
 * input). May throw on a hostile context (callers catch).
 */
function decide(p: PreparedFlag, ctx: EvaluationContext, out: HashOut | undefined): number {
  // 1. No such flag: the caller has no PreparedFlag and serves its fallback.

  // 2. A killed flag serves its off value to everyone, whatever its plan says.
  const pre = p.pre;
  if (pre === Step.KILLED) return Step.KILLED;

  // 3. Cohort: the context must be an object, and every rule must hold.
  if (typeof ctx !== 'object' || ctx === null) return Step.INVALID_CONTEXT;
  if (p.rules !== null && !matchesCohort(p.rules, ctx)) return Step.COHORT_MISS;

  // 4. Not started (stage 0, or any percentage <= 0), 5. fully rolled out (no key needed),
  // or a malformed state: settled by the state alone.
  if (pre < Step.ROLL) return pre;

  // 6. A partial rollout needs a bucketing key.
  const key = targetingKey(ctx);
  if (key === undefined) return Step.NO_KEY;
  if (pre !== Step.ROLL) return Step.BROKEN;

  // 7. In iff the key's bucket is below round(percent * 100).
  const bucket = bucketOf(p.seed, key, out);
  return (bucket << Decided.BITS) | (bucket < p.cut ? Step.IN : Step.OUT);
}

/**
 * What a prepared flag serves a context, allocating nothing: 1 its `on` value, 0 its `off`
 * value, -1 no value (what `evaluate()` reports as reason `ERROR`). Never throws. With `out`,
 * an evaluation that bucketed the key leaves its 30-bit hash in `out.hash` (for reach.ts).
 */
export function serve(p: PreparedFlag, ctx: EvaluationContext, out?: HashOut): number {
  try {
    const step = decide(p, ctx, out) & Decided.STEP;
    return step < Step.OUT ? 1 : step < Step.INVALID_CONTEXT ? 0 : -1;
  } catch {
    return -1;
  }
}

/** `evaluate()` over a prepared flag (the client's path: the state is prepared once); undefined: no such flag. */
export function explain(p: PreparedFlag | undefined, ctx: EvaluationContext, out?: HashOut): Evaluation {
  if (!p) return { value: null, reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' };
  let decided: number;
  try {
    decided = decide(p, ctx, out);
  } catch {
    decided = Step.BROKEN;
  }
  const step = decided & Decided.STEP;
  const r: Evaluation = { value: step < Step.OUT ? p.on : p.off, reason: REASONS[step]! };
  const errorCode = ERROR_CODES[step];
  if (errorCode) r.errorCode = errorCode;
  if (step < Step.FULL || step === Step.OUT) r.bucket = decided >> Decided.BITS;
  r.flagVersion = p.f.version;
  return r;
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
    return explain(flag === undefined || flag === null ? undefined : new PreparedFlag(flag), ctx);
  } catch {
    return { value: null, reason: 'ERROR', errorCode: 'GENERAL' }; // a state whose fields throw when read
  }
}
