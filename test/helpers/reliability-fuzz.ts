import fc from 'fast-check';
import type { Role } from '../../server/auth/roles.js';
import { snapshotId } from '../../server/rollout/plan-store.js';
import { snapshotOf } from '../../server/rollout/signoff-evidence.js';

/** How a field is typed, so a generator can hand it the wrong type or too much of the right one. */
type FieldKind = { t: 'text'; max: number } | { t: 'string'; max: number } | { t: 'int' } | { t: 'true' } | { t: 'array' } | { t: 'json' };

export interface JsonEndpoint {
  method: string;
  /** `{flag}` and `{key}` are filled per test. */
  path: string;
  as: Role;
  /** A body the endpoint accepts as it is. */
  valid: Record<string, unknown>;
  /** Every top-level field the schema knows, with its kind. */
  fields: Record<string, FieldKind>;
  /** Paths to nested strict objects (a stage, a check, a cohort rule, a sample). */
  nested?: Array<Array<string | number>>;
}

const text = (max: number): FieldKind => ({ t: 'text', max });
const int: FieldKind = { t: 'int' };

const PLAN = {
  cohort: [{ attr: 'plan', op: 'in', values: ['pro'] }],
  stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01 }] }, { percent: 100 }],
  reason: 'fuzz plan',
};

/** Every JSON endpoint that takes a body, as the caller who may use it. */
export const JSON_ENDPOINTS: JsonEndpoint[] = [
  {
    method: 'POST',
    path: '/api/flags',
    as: 'engineer',
    valid: { key: 'fz-created', owner: 'o', description: 'd', tags: ['t'], on: 'v2', off: 'v1' },
    fields: { key: { t: 'string', max: 100 }, owner: text(200), description: { t: 'string', max: 2000 }, tags: { t: 'array' }, on: { t: 'json' }, off: { t: 'json' } },
  },
  {
    method: 'PATCH',
    path: '/api/flags/{flag}',
    as: 'engineer',
    valid: { version: 1, description: 'd', owner: 'o', tags: ['t'], reason: 'r' },
    fields: { version: int, description: { t: 'string', max: 2000 }, owner: text(200), tags: { t: 'array' }, on: { t: 'json' }, off: { t: 'json' }, reason: text(1000) },
  },
  { method: 'POST', path: '/api/flags/{flag}/archive', as: 'engineer', valid: { reason: 'r', version: 1 }, fields: { reason: text(1000), version: int } },
  { method: 'POST', path: '/api/flags/{flag}/kill', as: 'oncall', valid: { reason: 'r', version: 1, waitMs: 0 }, fields: { reason: text(1000), version: int, waitMs: int } },
  { method: 'POST', path: '/api/flags/{flag}/restore', as: 'oncall', valid: { reason: 'r' }, fields: { reason: text(1000), version: int, waitMs: int } },
  { method: 'POST', path: '/api/kill', as: 'oncall', valid: { tag: 'fz-none', reason: 'r' }, fields: { tag: { t: 'string', max: 40 }, all: { t: 'true' }, reason: text(1000) } },
  { method: 'POST', path: '/api/restore', as: 'oncall', valid: { tag: 'fz-none', reason: 'r' }, fields: { tag: { t: 'string', max: 40 }, all: { t: 'true' }, reason: text(1000) } },
  { method: 'POST', path: '/api/sdk-keys', as: 'admin', valid: { name: 'svc' }, fields: { name: text(100) } },
  { method: 'POST', path: '/api/sdk-keys/{key}/revoke', as: 'admin', valid: { reason: 'r' }, fields: { reason: text(1000) } },
  {
    method: 'PUT',
    path: '/api/flags/{flag}/plan',
    as: 'pm',
    valid: PLAN,
    fields: { cohort: { t: 'array' }, stages: { t: 'array' }, webhookUrl: { t: 'string', max: 2000 }, version: int, reason: text(1000) },
    nested: [['stages', 0], ['stages', 0, 'checks', 0], ['cohort', 0]],
  },
  // snapshotId: the evidence of a plan version 1 whose next stage has no checks (the fuzzed flags' plans).
  { method: 'POST', path: '/api/flags/{flag}/signoffs', as: 'pm', valid: { comment: 'ok', planVersion: 1, stage: 1, snapshotId: snapshotId(snapshotOf(1, [])) }, fields: { comment: text(1000), planVersion: int, stage: int, snapshotId: { t: 'string', max: 12 } } },
  { method: 'POST', path: '/api/flags/{flag}/advance', as: 'pm', valid: { reason: 'r' }, fields: { reason: text(1000), version: int, toStage: int } },
  { method: 'POST', path: '/api/flags/{flag}/rollback', as: 'pm', valid: { reason: 'r' }, fields: { reason: text(1000), version: int, toStage: int } },
  { method: 'POST', path: '/api/flags/{flag}/pause', as: 'pm', valid: { reason: 'r' }, fields: { reason: text(1000), version: int } },
  { method: 'POST', path: '/api/flags/{flag}/resume', as: 'pm', valid: { reason: 'r' }, fields: { reason: text(1000), version: int } },
  {
    method: 'POST',
    path: '/api/metrics',
    as: 'metrics',
    valid: { samples: [{ flag: '{flag}', metric: 'error_rate', value: 0.001, cohort: 'control' }] },
    fields: { samples: { t: 'array' } },
    nested: [['samples', 0]],
  },
  // Last, so the seeds and flags of the endpoints above stay what they were. The flag is live: a valid body gets 409 not_archived.
  { method: 'POST', path: '/api/flags/{flag}/unarchive', as: 'admin', valid: { reason: 'r', version: 1 }, fields: { reason: text(1000), version: int } },
];

/** Keys no schema knows: prototype pollution, unicode and control characters, role/state fields a client must not set. */
export const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', 'stage', 'killed', 'paused', 'status', 'planVersion', 'planAuthor', 'approvedBy', 'signoffs', 'role', 'actor', 'sub', 'createdBy', 'stateVersion', 'Reason', 'reason ', 'version\u0000'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u202e', '\u2028', '\ufeff', '\ud800', 'é', '𝔘', '\u0301'), minLength: 1, maxLength: 6 }),
  fc.integer({ min: 100, max: 5000 }).map((n) => 'k'.repeat(n)),
);

const notString = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }));
const notInt = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.constantFrom('1', '0x1', 1.5, -0.5, 1e-9, true, false, null, [1], { n: 1 }),
);
const notTrue = fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.constantFrom(false, null, [], {}, 'true', 1));
const notArray = fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }));

/** Nested arrays deeper than the server's limit (64), up to 20 000 levels, as JSON text (too deep to stringify safely). */
export const deepDepth = fc.integer({ min: 65, max: 20_000 });
const DEEP = 'deep-marker-7f3a';
const CONTROL = fc.constantFrom('\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u007f');

function setIn(body: Record<string, unknown>, path: Array<string | number>, key: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let at: any = copy;
  for (const p of path) at = at[p];
  Object.defineProperty(at, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

function put(body: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  return setIn(body, [], key, value);
}

/** A mutation that always makes the endpoint's valid body invalid; described for the failure message. */
export type Mutation = { what: string; body: unknown; raw?: string };

export function invalidBodies(e: JsonEndpoint): fc.Arbitrary<Mutation> {
  const known = new Set(Object.keys(e.fields));
  const fieldOf = (pred: (k: FieldKind) => boolean) => Object.entries(e.fields).filter(([, k]) => pred(k)).map(([n]) => n);
  const arbs: Array<fc.Arbitrary<Mutation>> = [
    // An unknown top-level field: strict schemas reject it whatever its value.
    fc.tuple(hostileKey.filter((k) => !known.has(k)), fc.jsonValue({ maxDepth: 3 })).map(([k, v]) => ({ what: `unknown field ${JSON.stringify(k)}`, body: put(e.valid, k, v) })),
    // A body that is not a JSON object.
    fc.oneof(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }), fc.string(), fc.integer(), fc.constant(null), fc.boolean()).map((b) => ({ what: 'not an object', body: b })),
    // Text that is not JSON at all.
    fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => s.trim() !== '').filter((s) => { try { const v = JSON.parse(s); return typeof v !== 'object' || v === null || Array.isArray(v); } catch { return true; } }).map((s) => ({ what: 'not JSON', body: undefined, raw: s })),
    // Nesting far deeper than any field allows, in any field.
    fc.tuple(fc.constantFrom(...Object.keys(e.fields)), deepDepth).map(([k, d]) => ({
      what: `${k} nested ${d} levels deep`,
      body: undefined,
      raw: JSON.stringify(put(e.valid, k, DEEP)).replace(`"${DEEP}"`, '['.repeat(d) + ']'.repeat(d)),
    })),
  ];
  const strings = fieldOf((k) => k.t === 'text' || k.t === 'string');
  const texts = fieldOf((k) => k.t === 'text');
  const ints = fieldOf((k) => k.t === 'int');
  const trues = fieldOf((k) => k.t === 'true');
  const arrays = fieldOf((k) => k.t === 'array');
  if (strings.length) {
    arbs.push(fc.tuple(fc.constantFrom(...strings), notString).map(([k, v]) => ({ what: `${k} not a string`, body: put(e.valid, k, v) })));
    arbs.push(
      fc.constantFrom(...strings).chain((k) => {
        const max = (e.fields[k] as { max: number }).max;
        return fc.integer({ min: max + 1, max: 60_000 }).map((n) => ({ what: `${k} of ${n} characters`, body: put(e.valid, k, 'x'.repeat(n)) }));
      }),
    );
  }
  if (texts.length) {
    arbs.push(
      fc.tuple(fc.constantFrom(...texts), fc.string({ maxLength: 10 }), CONTROL, fc.string({ maxLength: 10 })).map(([k, a, c, b]) => ({
        what: `${k} with control character ${JSON.stringify(c)}`,
        body: put(e.valid, k, `x${a}${c}${b}x`),
      })),
    );
  }
  if (ints.length) arbs.push(fc.tuple(fc.constantFrom(...ints), notInt).map(([k, v]) => ({ what: `${k} not an integer`, body: put(e.valid, k, v) })));
  if (trues.length) arbs.push(fc.tuple(fc.constantFrom(...trues), notTrue).map(([k, v]) => ({ what: `${k} not true`, body: put(e.valid, k, v) })));
  if (arrays.length) arbs.push(fc.tuple(fc.constantFrom(...arrays), notArray).map(([k, v]) => ({ what: `${k} not an array`, body: put(e.valid, k, v) })));
  for (const path of e.nested ?? []) {
    arbs.push(
      fc.tuple(hostileKey.filter((k) => !['percent', 'metric', 'op', 'threshold', 'attr', 'values', 'flag', 'value', 'cohort', 'at', 'name', 'signoffs', 'soakMinutes', 'plannedAt', 'autoAdvance', 'checks', 'maxDropPct', 'baseline', 'guardrail', 'onBreach'].includes(k)), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({
        what: `unknown field ${JSON.stringify(k)} at ${path.join('.')}`,
        body: setIn(e.valid, path, k, v),
      })),
    );
  }
  return fc.oneof(...arbs);
}

/** Random bodies built from the endpoint's own field names and hostile ones, with random values: anything may come back but a 5xx. */
export function randomBodies(e: JsonEndpoint): fc.Arbitrary<unknown> {
  const key = fc.oneof(fc.constantFrom(...Object.keys(e.fields)), hostileKey);
  const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom(1, 0, -1, 2 ** 53, 1e308, '', 'r', 'x'.repeat(1001)));
  return fc.oneof(
    fc.dictionary(key, value, { maxKeys: 6 }),
    fc.record(Object.fromEntries(Object.keys(e.fields).map((k) => [k, value])), { requiredKeys: [] }),
    fc.jsonValue({ maxDepth: 4 }),
  );
}

export function fill(s: string, vars: Record<string, string>): string {
  return s.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}
