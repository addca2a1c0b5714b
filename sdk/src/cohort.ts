/**
 * Cohort rule matching: who is eligible for a flag at all, before the percentage.
 * Pure, dependency-free, and never throws on any input. The semantics are
 * published in docs/bucketing.md ("Cohort rules").
 */
import type { CohortRule } from './protocol.js';

type Primitive = string | number | boolean;

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * The attribute `attr` of `ctx` if it is an own property holding a string, a
 * boolean or a number other than NaN; otherwise `undefined` (treated as missing).
 */
function attribute(ctx: object, attr: string): Primitive | undefined {
  if (!hasOwn.call(ctx, attr)) return undefined;
  const v: unknown = (ctx as Record<string, unknown>)[attr];
  return isPrimitive(v) ? v : undefined;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A number as is; a string in plain decimal notation (`42`, `-1.5`, `2e3`) via
 * Number(); anything else (booleans, blanks, `0x1f`, `Infinity`) gives NaN.
 */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || !DECIMAL.test(v)) return NaN;
  return Number(v);
}

function isPrimitive(v: unknown): v is Primitive {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && v === v);
}


const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const NUMERIC = /^\d+$/;

/** -1, 0 or 1 as x sorts before, with or after y; NaN when they do not compare (NaN operands). */
const order = (x: number | string, y: number | string) => (x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN);

/**
 * Precedence of two semver identifiers: numeric ones by value (digit strings without leading
 * zeros, so any length compares exactly), before alphanumeric ones, which compare in ASCII order.
 */
function compareIds(a: string, b: string): number {
  const an = NUMERIC.test(a);
  if (an !== NUMERIC.test(b)) return an ? -1 : 1;
  return an && a.length !== b.length ? a.length - b.length : order(a, b);
}

/**
 * Semver 2.0.0 precedence of `[v]MAJOR.MINOR.PATCH[-prerelease][+build]` strings: the core
 * numerically, then a prerelease sorts before its release. NaN when either is not a version.
 */
function compareSemver(a: string, b: string): number {
  const x = a.length <= 256 ? SEMVER.exec(a) : null;
  const y = b.length <= 256 ? SEMVER.exec(b) : null;
  if (!x || !y) return NaN;
  for (let i = 1; i < 4; i++) {
    const c = compareIds(x[i]!, y[i]!);
    if (c) return c;
  }
  if (!x[4] || !y[4]) return (x[4] ? -1 : 0) + (y[4] ? 1 : 0);
  const p = x[4].split('.');
  const q = y[4].split('.');
  for (let i = 0; i < p.length && i < q.length; i++) {
    const c = compareIds(p[i]!, q[i]!);
    if (c) return c;
  }
  return p.length - q.length;
}

/** Whether an order `c` (from `order` or `compareSemver`) satisfies `lt`, `lte`, `gt`, `gte` or `eq` (NaN satisfies none). */
function holds(c: number, op: string): boolean {
  return op === 'eq' ? c === 0 : op[0] === 'l' ? (op[2] ? c <= 0 : c < 0) : op[2] ? c >= 0 : c > 0;
}

/** The comparison operators: `lt` … `gte` on numbers, `semver_eq` … `semver_gte` on versions (`eq` is equality, above). */
const COMPARE = /^(semver_)?(eq|[lg]te?)$/;

/**
 * Whether one rule holds for a context. A missing attribute (absent, `null`,
 * `undefined`, NaN, or not a string/number/boolean) never matches, for every
 * operator including `neq` and `not_in`; a rule with a missing or ill-typed
 * operand never matches either. Equality is strict: `1` does not equal `"1"`.
 * An operator this SDK does not know never matches.
 */
export function matchesRule(rule: CohortRule, ctx: object): boolean {
  if (rule === null || typeof rule !== 'object') return false;
  const attr = rule.attr;
  const values: unknown = rule.values;
  if (typeof attr !== 'string' || !Array.isArray(values)) return false;
  const a = attribute(ctx, attr);
  if (a === undefined) return false;
  const operand: unknown = values[0];
  const strings = typeof a === 'string' && typeof operand === 'string';
  const op = rule.op;

  switch (op) {
    case 'eq':
      return isPrimitive(operand) && a === operand;
    case 'neq':
      return isPrimitive(operand) && a !== operand;
    case 'in':
      return values.includes(a);
    case 'not_in':
      return !values.includes(a);
    case 'starts_with':
      return strings && a.startsWith(operand);
    case 'ends_with':
      return strings && a.endsWith(operand);
    case 'contains':
      return strings && a.includes(operand);
  }
  const cmp = COMPARE.exec(op);
  return !!cmp && holds(cmp[1] ? (strings ? compareSemver(a, operand) : NaN) : order(toNumber(a), toNumber(operand)), cmp[2]!);
}

/** Whether every rule holds for a context (an empty cohort admits everyone). */
export function matchesCohort(rules: readonly CohortRule[], ctx: object): boolean {
  for (let i = 0; i < rules.length; i++) {
    if (!matchesRule(rules[i]!, ctx)) return false;
  }
  return true;
}
