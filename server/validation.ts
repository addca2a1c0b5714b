import { z } from 'zod';
import { ValidationError, zodDetails } from './errors.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

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

/** Parses `data` or throws a 400 that lists every offending field path. */
export function parse<S extends z.ZodType>(schema: S, data: unknown, what = 'request body'): z.output<S> {
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
