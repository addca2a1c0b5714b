import { z } from 'zod';
import { ValidationError, zodDetails } from './errors.js';

/**
 * C0 and C1 controls, line/paragraph separators, and the bidi embedding/override/isolate
 * characters that can make an audit reason or an owner display as something it is not.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A single-line human string: trimmed, bounded, no control characters. */
export function text(max: number, what = 'value') {
  return z
    .string()
    .trim()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), `${what} must not contain control characters`);
}

export const reasonSchema = text(1000, 'reason');

export const flagKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'flag key must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit');

export const tagSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._:-]{0,39}$/, 'tag must be 1-40 lowercase letters, digits, ".", "_", ":" or "-"');

/** The flag version the caller saw (optimistic concurrency). */
export const versionSchema = z.number().int().positive();

export const MAX_VALUE_BYTES = 16 * 1024;

export const jsonValueSchema = z
  .json()
  .refine((v) => JSON.stringify(v).length <= MAX_VALUE_BYTES, `value must serialise to at most ${MAX_VALUE_BYTES} bytes of JSON`);

/** Deeper JSON than this is refused before any schema sees it (recursive validators would overflow the stack). */
export const MAX_DEPTH = 64;

function tooDeep(data: unknown): boolean {
  const stack: Array<[unknown, number]> = [[data, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_DEPTH) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Parses `data` or throws a 400 that lists every offending field path. */
export function parse<S extends z.ZodType>(schema: S, data: unknown, what = 'request body'): z.output<S> {
  if (tooDeep(data)) {
    throw new ValidationError(`${what} is nested more than ${MAX_DEPTH} levels deep`, [{ path: '(body)', message: `at most ${MAX_DEPTH} levels of nesting` }], what === 'query' ? 'invalid_query' : 'invalid_body');
  }
  const r = schema.safeParse(data === undefined ? {} : data);
  if (!r.success) {
    const details = zodDetails(r.error);
    const first = details[0];
    throw new ValidationError(
      `${what} is invalid${first ? `: ${first.path}: ${first.message}` : ''}`,
      details,
      what === 'query' ? 'invalid_query' : 'invalid_body',
    );
  }
  return r.data;
}
