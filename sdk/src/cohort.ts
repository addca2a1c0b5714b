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
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number' && v === v) return v;
  return undefined;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A number as is; a string in plain decimal notation (`42`, `-1.5`, `2e3`) via
 * Number(); anything else (booleans, blanks, `0x1f`, `Infinity`) gives NaN.
 */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || !DECIMAL.test(v)) return Number.NaN;
  return Number(v);
}

function isPrimitive(v: unknown): v is Primitive {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && v === v);
}

function includes(values: readonly unknown[], v: Primitive): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] === v) return true;
  return false;
}

/** A parsed semantic version; numeric parts kept as digit strings so any length compares exactly. */
interface Semver {
  core: [string, string, string];
  pre: string[];
}

const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const NUMERIC = /^\d+$/;

/** Parses `[v]MAJOR.MINOR.PATCH[-prerelease][+build]` per semver 2.0.0; undefined if invalid. */
function parseSemver(s: string): Semver | undefined {
  if (s.length > 256) return undefined;
  const m = SEMVER.exec(s);
  if (m === null) return undefined;
  return { core: [m[1]!, m[2]!, m[3]!], pre: m[4] === undefined ? [] : m[4].split('.') };
}

/** Compares two digit strings without leading zeros, of any length. */
function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Semver 2.0.0 precedence: core numerically, then a prerelease sorts before the release. */
function compareSemver(x: Semver, y: Semver): number {
  for (let i = 0; i < 3; i++) {
    const c = compareDigits(x.core[i]!, y.core[i]!);
    if (c !== 0) return c;
  }
  if (x.pre.length === 0) return y.pre.length === 0 ? 0 : 1;
  if (y.pre.length === 0) return -1;
  const n = Math.min(x.pre.length, y.pre.length);
  for (let i = 0; i < n; i++) {
    const a = x.pre[i]!;
    const b = y.pre[i]!;
    const an = NUMERIC.test(a);
    const bn = NUMERIC.test(b);
    if (an && bn) {
      const c = compareDigits(a, b);
      if (c !== 0) return c;
    } else if (an !== bn) {
      return an ? -1 : 1; // numeric identifiers sort before alphanumeric ones
    } else if (a !== b) {
      return a < b ? -1 : 1; // ASCII order
    }
  }
  return x.pre.length - y.pre.length;
}

/**
 * Whether one rule holds for a context. A missing attribute (absent, `null`,
 * `undefined`, NaN, or not a string/number/boolean) never matches, for every
 * operator including `neq` and `not_in`; a rule with a missing or ill-typed
 * operand never matches either. Equality is strict: `1` does not equal `"1"`.
 */
export function matchesRule(rule: CohortRule, ctx: object): boolean {
  if (rule === null || typeof rule !== 'object') return false;
  const attr = rule.attr;
  const values: unknown = rule.values;
  if (typeof attr !== 'string' || !Array.isArray(values)) return false;
  const a = attribute(ctx, attr);
  if (a === undefined) return false;
  const operand: unknown = values[0];

  switch (rule.op) {
    case 'eq':
      return isPrimitive(operand) && a === operand;
    case 'neq':
      return isPrimitive(operand) && a !== operand;
    case 'in':
      return includes(values, a);
    case 'not_in':
      return !includes(values, a);
    case 'starts_with':
      return typeof a === 'string' && typeof operand === 'string' && a.startsWith(operand);
    case 'ends_with':
      return typeof a === 'string' && typeof operand === 'string' && a.endsWith(operand);
    case 'contains':
      return typeof a === 'string' && typeof operand === 'string' && a.includes(operand);
    case 'lt':
      return toNumber(a) < toNumber(operand);
    case 'lte':
      return toNumber(a) <= toNumber(operand);
    case 'gt':
      return toNumber(a) > toNumber(operand);
    case 'gte':
      return toNumber(a) >= toNumber(operand);
    case 'semver_eq':
    case 'semver_lt':
    case 'semver_lte':
    case 'semver_gt':
    case 'semver_gte': {
      if (typeof a !== 'string' || typeof operand !== 'string') return false;
      const x = parseSemver(a);
      const y = parseSemver(operand);
      if (x === undefined || y === undefined) return false;
      const c = compareSemver(x, y);
      if (rule.op === 'semver_eq') return c === 0;
      if (rule.op === 'semver_lt') return c < 0;
      if (rule.op === 'semver_lte') return c <= 0;
      if (rule.op === 'semver_gt') return c > 0;
      return c >= 0;
    }
    default:
      return false; // an operator this SDK does not know never matches
  }
}

/** Whether every rule holds for a context (an empty cohort admits everyone). */
export function matchesCohort(rules: readonly CohortRule[], ctx: object): boolean {
  for (let i = 0; i < rules.length; i++) {
    if (!matchesRule(rules[i]!, ctx)) return false;
  }
  return true;
}
