import { z } from 'zod';
import { flagViewSchema } from '../flags/flag-schemas.js';
import { routeFor } from '../http/route.js';
import type { EnvironmentService } from '../environments/environment-service.js';
import { propagationSchema } from '../http/schemas.js';
import { reasonSchema, tagSchema, versionSchema } from '../validation.js';
import type { BulkKillResult, BulkRestoreResult, FlagActionResult, FlagView } from '@switchyard-flags/sdk/api';
import type { Propagation } from '@switchyard-flags/sdk/protocol';
import type { BulkResult, KillRestoreOutcome, KillScope, KillService } from './kill-service.js';

/** Waits for connected SDKs to acknowledge a flag's change (the push layer's tracker). */
export interface PropagationWaiter {
  waitFor(key: string, stateVersion: number, ms: number): Promise<Propagation>;
}

/** Wait up to this long for connected SDKs to acknowledge, and answer with `propagation`. */
const waitMsSchema = z.number().int().min(0).max(5000).optional();

export const oneFlagSchema = z.strictObject({
  reason: reasonSchema,
  version: versionSchema.optional(),
  waitMs: waitMsSchema,
});

export const scopeSchema = z
  .strictObject({
    tag: tagSchema.optional(),
    all: z.literal(true).optional(),
    reason: reasonSchema,
    waitMs: waitMsSchema,
  })
  .refine((b) => (b.tag === undefined) !== (b.all === undefined), {
    message: 'send exactly one of "tag" or "all": true',
    path: ['tag'],
  });

/** `POST /api/restore`: the same scopes, or exactly one kill by its id (from the kill's answer). */
export const restoreScopeSchema = z
  .strictObject({
    tag: tagSchema.optional(),
    all: z.literal(true).optional(),
    killId: z.uuid('killId must be the id a kill answered with (a UUID)').optional(),
    reason: reasonSchema,
    waitMs: waitMsSchema,
  })
  .refine((b) => [b.tag, b.all, b.killId].filter((x) => x !== undefined).length === 1, {
    message: 'send exactly one of "tag", "all": true or "killId"',
    path: ['tag'],
  });

function scopeOf(b: { tag?: string; all?: true }): KillScope {
  return b.tag !== undefined ? { tag: b.tag } : { all: true };
}

/**
 * Delivery figures for every flag a bulk action changed. One wait, on the latest change: an SDK
 * acknowledges a global version, so one that applied the last change applied all the earlier
 * ones; then each flag's own figures, without waiting again.
 */
async function bulkPropagation(waiter: PropagationWaiter, r: BulkResult, ms: number): Promise<Record<string, Propagation>> {
  const changes = Object.entries(r.stateVersions);
  if (!changes.length) return {};
  const [lastKey, lastVersion] = changes.reduce((a, b) => (b[1] > a[1] ? b : a));
  await waiter.waitFor(lastKey, lastVersion, ms);
  const figures = await Promise.all(changes.map(([key, v]) => waiter.waitFor(key, v, 0)));
  return Object.fromEntries(figures.map((p) => [p.key, p]));
}

/** `FlagActionResult` (sdk/src/api.ts): the flag, whether it changed, and with `waitMs` the delivery figures. */
export const flagActionResultSchema = flagViewSchema.extend({ changed: z.boolean(), propagation: propagationSchema.optional() }) satisfies z.ZodType<FlagActionResult>;
const byFlag = z.record(z.string(), propagationSchema).optional();
/** `BulkKillResult` (sdk/src/api.ts). */
export const bulkKillResultSchema = z.strictObject({ killId: z.string().nullable(), killed: z.array(z.string()), alreadyKilled: z.array(z.string()), propagation: byFlag }) satisfies z.ZodType<BulkKillResult>;
/** `BulkRestoreResult` (sdk/src/api.ts). */
export const bulkRestoreResultSchema = z.strictObject({
  restored: z.array(z.string()),
  alreadyLive: z.array(z.string()),
  notThisKill: z.array(z.string()).optional(),
  propagation: byFlag,
}) satisfies z.ZodType<BulkRestoreResult>;

type Push = { tracker: PropagationWaiter } | undefined;

/** A one-flag kill or restore: the flag with `changed`, and with `waitMs` how far it reached. */
async function answerOne({ flag, changed }: { flag: FlagView; changed: boolean }, waitMs: number | undefined, push: Push): Promise<FlagActionResult> {
  if (waitMs === undefined || !push) return { ...flag, changed };
  return { ...flag, changed, propagation: await push.tracker.waitFor(flag.key, flag.stateVersion, waitMs) };
}

const route = routeFor<{ kills: KillService; push?: Push; environments: EnvironmentService }>('killswitch');

/** Delivery figures are the default environment's only (env: default only (issue 23 envpush)): elsewhere `waitMs` waits for nothing. */
const pushIn = (env: string, environments: EnvironmentService, push: Push): Push => (env === environments.defaultKey ? push : undefined);

/** The kill switch: one flag, by tag or all, and the restores. Examples run in this order (test/openapi.test.ts). */
export const killRoutes = [
  route({
    method: 'post', path: '/api/flags/:key/kill', summary: 'Kill a flag: everyone gets its off value',
    description: 'Idempotent (`changed: false` when already killed). With `waitMs` the answer waits for connected SDKs to acknowledge and carries `propagation`.',
    access: { permission: 'kill' }, body: oneFlagSchema, response: flagActionResultSchema,
    example: { params: { key: 'support-draft' }, body: { reason: 'cost spike: $180/h on the drafting model', waitMs: 500 } },
    handler: async ({ body: b, params, actor }, { kills, push, environments }) => {
      const env = await environments.scope(params.env);
      return answerOne(await kills.kill(actor, params.key!, b.reason, b.version, env), b.waitMs, pushIn(env, environments, push));
    },
  }),
  route({
    method: 'post', path: '/api/flags/:key/restore', summary: 'Restore a killed flag to the stage it was at', access: { permission: 'kill' },
    body: oneFlagSchema, response: flagActionResultSchema,
    example: { params: { key: 'support-draft' }, body: { reason: 'provider rate limits back to normal' } },
    handler: async ({ body: b, params, actor }, { kills, push, environments }) => {
      const env = await environments.scope(params.env);
      return answerOne(await kills.restore(actor, params.key!, b.reason, b.version, env), b.waitMs, pushIn(env, environments, push));
    },
  }),
  route({
    method: 'post', path: '/api/kill', summary: 'Kill every flag with a tag, or all flags', access: { permission: 'kill' },
    description: 'One transaction: all are killed or none. The answer\'s `killId` is stored on every flag this request killed (flags already killed keep their own); `POST /api/restore {killId}` undoes exactly this kill. With `waitMs` (0..5000) the answer waits for connected SDKs to acknowledge every killed flag and carries `propagation`, keyed by flag.',
    body: scopeSchema, response: bulkKillResultSchema,
    example: { body: { tag: 'ai', reason: 'model provider outage', waitMs: 500 } },
    handler: async ({ body: b, actor }, { kills, push }) => {
      const result = await kills.killMany(actor, scopeOf(b), b.reason);
      const body: BulkKillResult = { killId: result.killId, killed: result.changed, alreadyKilled: result.unchanged };
      if (b.waitMs !== undefined && push) body.propagation = await bulkPropagation(push.tracker, result, b.waitMs);
      return body;
    },
  }),
  route({
    method: 'post', path: '/api/restore', summary: 'Restore every flag with a tag, all flags, or exactly one kill', access: { permission: 'kill' },
    description: 'One transaction. Exactly one of `tag`, `all: true` or `killId`. With `killId` (from a kill\'s answer, e.g. `{"killId": "0b4c…", "reason": "provider is back"}`) only the flags still killed by that kill are restored: flags of that kill restored since are listed in `alreadyLive`, those killed again since by another kill in `notThisKill` (left killed); an unknown id is a 404. With `waitMs` (0..5000) the answer waits for connected SDKs to acknowledge every restored flag and carries `propagation`, keyed by flag.',
    body: restoreScopeSchema, response: bulkRestoreResultSchema,
    example: { body: { tag: 'ai', reason: 'provider is back', waitMs: 500 } },
    handler: async ({ body: b, actor }, { kills, push }) => {
      const result: BulkResult & Partial<KillRestoreOutcome> =
        b.killId !== undefined ? await kills.restoreKill(actor, b.killId, b.reason) : await kills.restoreMany(actor, scopeOf(b), b.reason);
      const body: BulkRestoreResult = { restored: result.changed, alreadyLive: result.unchanged };
      if (result.notThisKill) body.notThisKill = result.notThisKill;
      if (b.waitMs !== undefined && push) body.propagation = await bulkPropagation(push.tracker, result, b.waitMs);
      return body;
    },
  }),
];
