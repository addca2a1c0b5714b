import path from 'node:path';
import { z } from 'zod';

/**
 * The kinds of value a configuration variable holds, as zod schemas over the variable's
 * (non-empty) text. A refusal's message completes "<NAME> …" in one line (server/config.ts adds the
 * name), so each says what is allowed and what was given.
 */
export type Parser<T> = z.ZodType<T, string>;

const DAY = 86_400;

function refuse(ctx: z.RefinementCtx<string>, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

/** An integer from `min` to `max`. */
export function int(min: number, max: number): Parser<number> {
  return z.string().transform((v, ctx) => {
    const n = Number(v);
    return Number.isInteger(n) && n >= min && n <= max ? n : refuse(ctx, `must be an integer from ${min} to ${max}, got "${v}"`);
  });
}

/** "30d", "8h", "90m", "45s" or a number of seconds, from 1s to `max` seconds; the value is seconds. */
export function duration(max: number): Parser<number> {
  return z.string().transform((v, ctx) => {
    const m = /^(\d+)\s*([smhd]?)$/.exec(v.trim());
    const seconds = m ? Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: DAY }[m[2] as '' | 's' | 'm' | 'h' | 'd'] : NaN;
    return seconds >= 1 && seconds <= max ? seconds : refuse(ctx, `must be a duration from 1s to ${Math.floor(max / DAY)}d (e.g. 30d, 8h), got "${v}"`);
  });
}

/** Any text, as given. */
export const text: Parser<string> = z.string();

/** A path, made absolute. */
export const file: Parser<string> = z.string().transform((v) => path.resolve(v));

/** A comma-separated list; blanks dropped. */
export const list: Parser<string[]> = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/** One of `values`. */
export function oneOf(values: readonly string[]): Parser<string> {
  return z.string().transform((v, ctx) => (values.includes(v) ? v : refuse(ctx, `must be one of ${values.join(', ')}, got "${v}"`)));
}

function hasProtocol(v: string, protocol: RegExp): boolean {
  try {
    return protocol.test(new URL(v).protocol);
  } catch {
    return false;
  }
}

/** A URL whose protocol matches `protocol`; `what` completes "must be …" when it does not. */
export function url(protocol: RegExp, what: string): Parser<string> {
  return z.string().transform((v, ctx) => (hasProtocol(v, protocol) ? v : refuse(ctx, `must be ${what}`)));
}

/** An http(s) URL kept without a trailing slash (it is a base other paths are appended to). */
export const baseUrl: Parser<string> = z.string().transform((v, ctx) =>
  hasProtocol(v, /^https?:$/) ? v.replace(/\/+$/, '') : refuse(ctx, `must be an http(s) URL such as https://flags.acme.com, got "${v}"`),
);

/** Text of at least `min` characters; `hint` says how to make one. */
export function secret(min: number, hint: string): Parser<string> {
  return z.string().transform((v, ctx) => (v.length >= min ? v : refuse(ctx, `must be at least ${min} characters (${hint})`)));
}

/** Text another module parses (`parse` throws an Error whose message is the whole line, naming the variable). */
export function parsedBy<T>(parse: (v: string) => T): Parser<T> {
  return z.string().transform((v, ctx) => {
    try {
      return parse(v);
    } catch (err) {
      return refuse(ctx, (err as Error).message);
    }
  });
}

export { DAY };
