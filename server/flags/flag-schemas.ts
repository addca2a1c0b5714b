import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { FlagView } from '@switchyard-flags/sdk/api';
import { jsonValueWire } from '../http/schemas.js';
import { flagKeySchema, jsonValueSchema, reasonSchema, tagSchema, text, versionSchema } from '../validation.js';

const tags = z
  .array(tagSchema)
  .max(20, 'at most 20 tags')
  .refine((t) => new Set(t).size === t.length, 'tags must be unique');

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'object';
  return typeof v;
}

/**
 * The fail-safe lease: seconds an SDK may go without hearing from the server before it serves
 * the flag's off value (1 s to 7 days); null turns it off (last-known value forever).
 */
export const maxStaleSecondsSchema = z
  .number()
  .int('maxStaleSeconds must be a whole number of seconds')
  .min(1, 'maxStaleSeconds must be at least 1 (or null for no lease)')
  .max(604_800, 'maxStaleSeconds must be at most 604800 (7 days)')
  .nullable();

/**
 * An SDK hears from the server once per heartbeat: a lease shorter than two of them lapses
 * between beats and serves `off` to healthy SDKs (issue 20 #8), so it is refused.
 */
export function checkLease(maxStaleSeconds: number | null | undefined, heartbeatMs: number): void {
  if (maxStaleSeconds === null || maxStaleSeconds === undefined) return;
  const min = Math.ceil((2 * heartbeatMs) / 1000);
  if (maxStaleSeconds >= min) return;
  const beat = `${heartbeatMs / 1000} s`;
  throw new ValidationError(
    `maxStaleSeconds ${maxStaleSeconds} is shorter than two heartbeats of this server (HEARTBEAT_MS: ${beat}): healthy SDKs would serve the off value between beats; set at least ${min}, or null for no lease`,
    [{ path: 'maxStaleSeconds', message: `must be at least ${min} (two heartbeats of ${beat}), or null` }],
  );
}

const sameKind = (v: { on?: unknown; off?: unknown }) => v.on === undefined || v.off === undefined || kind(v.on) === kind(v.off);
const sameKindIssue = { message: 'on and off must be of the same type (both boolean, string, number or object)', path: ['off'] };

export const createFlagSchema = z
  .strictObject({
    key: flagKeySchema,
    description: z.string().max(2000, 'description must be at most 2000 characters').default(''),
    owner: text(200, 'owner'),
    tags: tags.default([]),
    on: jsonValueSchema.default(true),
    off: jsonValueSchema.default(false),
    maxStaleSeconds: maxStaleSecondsSchema.optional(),
  })
  .refine(sameKind, sameKindIssue);
export type CreateFlagInput = z.output<typeof createFlagSchema>;

export const patchFlagSchema = z
  .strictObject({
    version: versionSchema,
    description: z.string().max(2000, 'description must be at most 2000 characters').optional(),
    owner: text(200, 'owner').optional(),
    tags: tags.optional(),
    on: jsonValueSchema.optional(),
    off: jsonValueSchema.optional(),
    maxStaleSeconds: maxStaleSecondsSchema.optional(),
    reason: reasonSchema.optional(),
  })
  .refine((v) => Object.keys(v).some((k) => k !== 'version' && k !== 'reason'), {
    message: 'nothing to change: send at least one of description, owner, tags, on, off, maxStaleSeconds',
  });
export type PatchFlagInput = z.output<typeof patchFlagSchema>;

export const archiveSchema = z.strictObject({
  reason: reasonSchema.optional(),
  version: versionSchema.optional(),
});

export const unarchiveSchema = z.strictObject({
  reason: reasonSchema,
  version: versionSchema.optional(),
});

/** Flags per page of `GET /api/flags` unless `limit` says otherwise (at most MAX_PAGE_FLAGS). */
export const DEFAULT_PAGE_FLAGS = 100;
export const MAX_PAGE_FLAGS = 500;

export const listFlagsQuerySchema = z.strictObject({
  archived: z.enum(['true', 'false']).optional(),
  tag: tagSchema.optional(),
  owner: z.string().max(200).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `limit must be a whole number from 1 to ${MAX_PAGE_FLAGS}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_PAGE_FLAGS, `limit must be a whole number from 1 to ${MAX_PAGE_FLAGS}`)
    .default(DEFAULT_PAGE_FLAGS),
  // The cursor is the last flag key of the previous page (keyset paging on the key).
  cursor: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'cursor must be the "next" value of a previous page').optional(),
  values: z.enum(['short', 'full'], "values must be 'short' (long values left out, the default) or 'full'").default('short'),
});

export { flagKeySchema };

// Response schemas: the wire type FlagView of sdk/src/api.ts, as zod, for the OpenAPI document
// (test/openapi.test.ts checks real answers against them).
const nullableText = z.string().nullable();
/** A flag value on the wire: any JSON (one shared component in the document). */
const jsonValue = jsonValueWire;

/** `FlagView` (sdk/src/api.ts): a flag as the REST API shows it. */
export const flagViewSchema = z.strictObject({
  key: z.string(),
  description: z.string(),
  owner: z.string(),
  tags: z.array(z.string()),
  on: jsonValue,
  off: jsonValue,
  version: z.number().int(),
  archived: z.boolean(),
  archivedAt: nullableText,
  archivedBy: nullableText,
  killed: z.boolean(),
  killedBy: nullableText,
  killedAt: nullableText,
  killReason: nullableText,
  killId: nullableText,
  stage: z.number().int(),
  stages: z.number().int(),
  percent: z.number(),
  paused: z.boolean(),
  pausedBy: nullableText,
  pausedAt: nullableText,
  pauseReason: nullableText,
  stageStartedAt: nullableText,
  planVersion: z.number().int(),
  planAuthor: nullableText,
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  stateVersion: z.number().int(),
  maxStaleSeconds: z.number().int().nullable(),
  cohortRules: z.number().int(),
  environments: z.record(z.string(), z.strictObject({
    stage: z.number().int(), percent: z.number(), killed: z.boolean(), paused: z.boolean(), planVersion: z.number().int(),
  }).meta({ id: 'FlagEnvironmentState' })).optional(),
}).meta({ id: 'FlagView' }) satisfies z.ZodType<FlagView>;

/**
 * One flag of `GET /api/flags`: the FlagView, except that without `?values=full` a value longer
 * than LIST_VALUE_BYTES of JSON is left out, and `omittedValues` gives its size in bytes.
 */
export const flagListItemSchema = flagViewSchema
  .extend({
    on: jsonValue.optional(),
    off: jsonValue.optional(),
    omittedValues: z.strictObject({ on: z.number().int().optional(), off: z.number().int().optional() }).optional(),
  })
  .meta({ id: 'FlagListItem' });

/** `GET /api/flags`: one page, in key order; `next` is the `cursor` of the next page, null on the last. */
export const flagListSchema = z.strictObject({ flags: z.array(flagListItemSchema), next: z.string().nullable() });
