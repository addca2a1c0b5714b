import { z } from 'zod';
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
    reason: reasonSchema.optional(),
  })
  .refine((v) => Object.keys(v).some((k) => k !== 'version' && k !== 'reason'), {
    message: 'nothing to change: send at least one of description, owner, tags, on, off',
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

export const listFlagsQuerySchema = z.strictObject({
  archived: z.enum(['true', 'false']).optional(),
  tag: tagSchema.optional(),
  owner: z.string().max(200).optional(),
});

export { flagKeySchema };
