import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { evaluate, seedOf } from '../src/evaluate.js';
import { matchesRule } from '../src/cohort.js';
import { bucketOf, saltSeed } from '../src/bucket.js';
import type { CohortOp, CohortRule, EvaluationContext, FlagState, Json } from '../src/protocol.js';

interface EvaluationCase {
  name: string;
  flag: FlagState | null;
  context: EvaluationContext;
  expect: { value: Json; reason: string; errorCode?: string; bucket?: number };
}

const cases = JSON.parse(
  readFileSync(new URL('../test-vectors/evaluation.json', import.meta.url), 'utf8'),
) as EvaluationCase[];

const OPS: CohortOp[] = [
  'eq', 'neq', 'in', 'not_in', 'starts_with', 'ends_with', 'contains', 'lt', 'lte', 'gt', 'gte',
  'semver_eq', 'semver_lt', 'semver_lte', 'semver_gt', 'semver_gte',
];

function flag(overrides: Partial<FlagState> = {}): FlagState {
  return {
    key: 'f', version: 3, on: 'on', off: 'off', salt: 'salt-f', killed: false,
    paused: false, stage: 1, percent: 50, cohort: [], ...overrides,
  };
}

const rule = (attr: string, op: CohortOp, ...values: CohortRule['values']): CohortRule => ({ attr, op, values });

describe('evaluate: shared cases', () => {
  it.each(cases)('$name', ({ flag: f, context, expect: want }) => {
    const got = evaluate(f ?? undefined, context);
    expect(got.value).toEqual(want.value);
    expect(got.reason).toBe(want.reason);
    expect(got.errorCode).toBe(want.errorCode);
    if (want.bucket !== undefined) expect(got.bucket).toBe(want.bucket);
    if (f) expect(got.flagVersion).toBe(f.version);
  });
});

describe('evaluate', () => {
  it('serves on to exactly the contexts whose bucket is below round(percent * 100)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.double({ min: 0.01, max: 99.99, noNaN: true }), (salt, key, percent) => {
        const f = flag({ salt, percent });
        const got = evaluate(f, { key });
        const bucket = bucketOf(saltSeed(salt), key);
        expect(got.bucket).toBe(bucket);
        expect(got.value).toBe(bucket < Math.round(percent * 100) ? 'on' : 'off');
      }),
    );
  });

  it('keeps a context in as the percentage grows', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(100), fc.nat(100), (key, a, b) => {
        const [p, q] = a <= b ? [a, b] : [b, a];
        const f = flag({ percent: p });
        if (evaluate(f, { key }).value === 'on') expect(evaluate({ ...f, percent: q }, { key }).value).toBe('on');
      }),
    );
  });

  it('answers a context that is not an object with INVALID_CONTEXT', () => {
    for (const ctx of [null, undefined, 'user-1', 42]) {
      expect(evaluate(flag(), ctx as unknown as EvaluationContext)).toEqual({
        value: 'off', reason: 'ERROR', errorCode: 'INVALID_CONTEXT', flagVersion: 3,
      });
    }
  });

  it('serves the off value with a GENERAL error when the flag state is malformed', () => {
    const broken = { ...flag(), cohort: undefined } as unknown as FlagState;
    expect(evaluate(broken, { key: 'u' })).toEqual({ value: 'off', reason: 'ERROR', errorCode: 'GENERAL', flagVersion: 3 });
    const noPercent = { ...flag(), percent: 'half' } as unknown as FlagState;
    expect(evaluate(noPercent, { key: 'u' }).errorCode).toBe('GENERAL');
  });

  it('survives a context whose attributes throw when read', () => {
    const ctx = { get key(): string { throw new Error('boom'); } };
    expect(evaluate(flag(), ctx).errorCode).toBe('GENERAL');
    const hostile = new Proxy({}, { getOwnPropertyDescriptor: () => { throw new Error('boom'); } });
    expect(evaluate(flag({ cohort: [rule('plan', 'eq', 'pro')] }), hostile).reason).toBe('ERROR');
  });

  it('never throws, whatever the context and the rules', () => {
    const oddRule = fc.record({
      attr: fc.oneof(fc.constantFrom('key', 'plan', 'version', '__proto__', 'constructor', 'toString'), fc.string()),
      op: fc.oneof(fc.constantFrom(...OPS), fc.string()),
      values: fc.array(fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constantFrom('1.2.3', 'v2.0.0-rc.1', '10')), { maxLength: 3 }),
    }) as fc.Arbitrary<CohortRule>;
    const anyRule = fc.oneof(oddRule, fc.anything() as fc.Arbitrary<CohortRule>);
    fc.assert(
      fc.property(fc.anything(), fc.array(anyRule, { maxLength: 4 }), fc.double(), (ctx, cohort, percent) => {
        const got = evaluate(flag({ cohort, percent }), ctx as EvaluationContext);
        expect(['on', 'off']).toContain(got.value);
        expect(got.flagVersion).toBe(3);
      }),
      { numRuns: 3000 },
    );
  });

  it('buckets a flag by its current salt, even when a state object is reused', () => {
    const f = flag({ salt: 'first' });
    expect(seedOf(f)).toBe(saltSeed('first'));
    f.salt = 'second';
    expect(seedOf(f)).toBe(saltSeed('second'));
    expect(evaluate(f, { key: 'user-9' }).bucket).toBe(bucketOf(saltSeed('second'), 'user-9'));
  });
});

describe('cohort rules', () => {
  it('orders prereleases exactly as semver 2.0.0 lists them', () => {
    const ordered = [
      '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2',
      '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0', '10.0.0',
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        const ctx = { v: ordered[i]! };
        expect(matchesRule(rule('v', 'semver_lt', ordered[j]!), ctx)).toBe(i < j);
        expect(matchesRule(rule('v', 'semver_eq', ordered[j]!), ctx)).toBe(i === j);
        expect(matchesRule(rule('v', 'semver_gte', ordered[j]!), ctx)).toBe(i >= j);
      }
    }
  });

  it.each(['1.2', '01.2.3', '1.2.3-', '1.2.3-01', 'V1.2.3', ' 1.2.3', '1.2.3.4', ''])(
    'treats %j as an invalid version that never matches',
    (v) => {
      for (const op of ['semver_eq', 'semver_lt', 'semver_gte'] as const) {
        expect(matchesRule(rule('v', op, '1.2.3'), { v })).toBe(false);
        expect(matchesRule(rule('v', op, v), { v: '1.2.3' })).toBe(false);
      }
    },
  );

  it('compares version numbers of any length exactly', () => {
    expect(matchesRule(rule('v', 'semver_gt', '9007199254740993.0.0'), { v: '9007199254740994.0.0' })).toBe(true);
  });

  it('parses only plain decimal strings as numbers', () => {
    for (const [seats, hit] of [['12', true], ['1.2e1', true], ['-3', false], [' ', false], ['', false], ['0x10', false], ['Infinity', false]] as const) {
      expect(matchesRule(rule('seats', 'gte', 10), { seats })).toBe(hit);
    }
    expect(matchesRule(rule('seats', 'gte', '10'), { seats: 11 })).toBe(true);
  });

  it('reads only own attributes, never inherited ones', () => {
    expect(matchesRule(rule('toString', 'neq', 'x'), {})).toBe(false);
    expect(matchesRule(rule('constructor', 'not_in', 'x'), {})).toBe(false);
  });

  it('treats NaN attributes and ill-typed operands as non-matching', () => {
    expect(matchesRule(rule('n', 'neq', 1), { n: Number.NaN })).toBe(false);
    expect(matchesRule({ attr: 'n', op: 'neq', values: [] }, { n: 1 })).toBe(false);
    expect(matchesRule({ attr: 'n', op: 'not_in', values: [] }, { n: 1 })).toBe(true);
  });
});
