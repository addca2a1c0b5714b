import { z } from 'zod';
import { flagViewSchema } from '../flags/flag-schemas.js';
import { routeFor } from '../http/route.js';
import type { EnvironmentService } from '../environments/environment-service.js';
import { propagationSchema } from '../http/schemas.js';
import { reasonSchema, tagSchema, versionSchema } from '../validation.js';
import { ValidationError } from '../errors.js';
import { environmentKeySchema } from '../environments/environment-routes.js';
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
    /** `POST /api/kill` only: kill in these environments (`"*"`: every one not archived) in one transaction (issue 23). */
    environments: z.union([z.literal('*'), z.array(environmentKeySchema).min(1).max(64)]).optional(),
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
export const bulkKillResultSchema = z.strictObject({
  killId: z.string().nullable(), killed: z.array(z.string()), alreadyKilled: z.array(z.string()), propagation: byFlag,
  environments: z.record(z.string(), z.strictObject({ killed: z.array(z.string()), alreadyKilled: z.array(z.string()), propagation: byFlag })).optional(),
}) satisfies z.ZodType<BulkKillResult>;
/** `BulkRestoreResult` (sdk/src/api.ts). */
export const bulkRestoreResultSchema = z.strictObject({
  restored: z.array(z.string()),
  alreadyLive: z.array(z.string()),
  notThisKill: z.array(z.string()).optional(),
  propagation: byFlag,
}) satisfies z.ZodType<BulkRestoreResult>;

/** The push layer: the default environment's tracker, and (server/push/push-state.ts) each environment's. */
type Push = { tracker: PropagationWaiter; env?(environment: string): { tracker: PropagationWaiter } } | undefined;

/** The environments a bulk kill acts in: the route's `:env`, or the body's list (`"*"`: every one not archived), each one that exists; 404 otherwise, before anything changes. */
async function killEnvironments(env: string | undefined, listed: '*' | string[] | undefined, environments: EnvironmentService): Promise<string[]> {
  if (env !== undefined) {
    if (listed !== undefined) throw new ValidationError('"environments" is for POST /api/kill; /api/envs/:env/kill kills in :env only', [{ path: 'environments', message: 'not allowed here' }]);
    return [await environments.scope(env)];
  }
  if (listed === '*') return environments.liveKeys();
  const keys: string[] = [];
  for (const e of new Set(listed)) keys.push(await environments.scope(e));
  return keys;
}

/** A one-flag kill or restore: the flag with `changed`, and with `waitMs` how far it reached. */
async function answerOne({ flag, changed }: { flag: FlagView; changed: boolean }, waitMs: number | undefined, push: Push): Promise<FlagActionResult> {
  if (waitMs === undefined || !push) return { ...flag, changed };
  return { ...flag, changed, propagation: await push.tracker.waitFor(flag.key, flag.stateVersion, waitMs) };
}

const route = routeFor<{ kills: KillService; push?: Push; environments: EnvironmentService }>('killswitch');

/** Delivery figures of `env`: its own SDK keys' connections (a kill in staging waits for staging's SDKs only). */
const pushIn = (env: string, environments: EnvironmentService, push: Push): Push => (push?.env ? push.env(env) : env === environments.defaultKey ? push : undefined);

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
    handler: async ({ body: b, params, actor }, { kills, push, environments }) => {
      if (params.env === undefined && b.environments === undefined) {
        const result = await kills.killMany(actor, scopeOf(b), b.reason);
        const body: BulkKillResult = { killId: result.killId, killed: result.changed, alreadyKilled: result.unchanged };
        if (b.waitMs !== undefined && push) body.propagation = await bulkPropagation(push.tracker, result, b.waitMs);
        return body;
      }
      const envs = await killEnvironments(params.env, b.environments, environments);
      const { killId, byEnvironment } = await kills.killAcross(actor, scopeOf(b), b.reason, envs);
      const all = Object.values(byEnvironment);
      const killed = [...new Set(all.flatMap((r) => r.changed))].sort();
      const body: BulkKillResult = {
        killId, killed, alreadyKilled: [...new Set(all.flatMap((r) => r.unchanged))].filter((k) => !killed.includes(k)).sort(),
        environments: Object.fromEntries(Object.entries(byEnvironment).map(([e, r]) => [e, { killed: r.changed, alreadyKilled: r.unchanged }])),
      };
      // Delivery figures per environment, waited on side by side; `propagation` is the sole (or else the default) environment's.
      if (b.waitMs !== undefined && push) {
        const ms = b.waitMs;
        const figures = await Promise.all(Object.entries(byEnvironment).map(async ([e, r]) => {
          const p = pushIn(e, environments, push);
          return [e, p ? await bulkPropagation(p.tracker, r, ms) : {}] as const;
        }));
        for (const [e, f] of figures) body.environments![e]!.propagation = f;
        const main = figures.length === 1 ? figures[0]![1] : figures.find(([e]) => e === environments.defaultKey)?.[1];
        if (main) body.propagation = main;
      }
      return body;
    },
  }),
  route({
    method: 'post', path: '/api/restore', summary: 'Restore every flag with a tag, all flags, or exactly one kill', access: { permission: 'kill' },
    description: 'One transaction. Exactly one of `tag`, `all: true` or `killId`. With `killId` (from a kill\'s answer, e.g. `{"killId": "0b4c…", "reason": "provider is back"}`) only the flags still killed by that kill are restored: flags of that kill restored since are listed in `alreadyLive`, those killed again since by another kill in `notThisKill` (left killed); an unknown id is a 404. With `waitMs` (0..5000) the answer waits for connected SDKs to acknowledge every restored flag and carries `propagation`, keyed by flag.',
    body: restoreScopeSchema, response: bulkRestoreResultSchema,
    example: { body: { tag: 'ai', reason: 'provider is back', waitMs: 500 } },
    handler: async ({ body: b, params, actor }, { kills, push, environments }) => {
      // `/api/envs/:env/restore` acts in that environment only; `/api/restore` in the default one, and a
      // kill id (one kill request's) is undone in every environment it killed in (a cross-environment kill included).
      const env = await environments.scope(params.env);
      const where = params.env !== undefined ? env : await environments.liveKeys();
      const result: BulkResult & Partial<KillRestoreOutcome> =
        b.killId !== undefined ? await kills.restoreKill(actor, b.killId, b.reason, where) : await kills.restoreMany(actor, scopeOf(b), b.reason, env);
      const body: BulkRestoreResult = { restored: result.changed, alreadyLive: result.unchanged };
      if (result.notThisKill) body.notThisKill = result.notThisKill;
      const waiter = pushIn(env, environments, push);
      if (b.waitMs !== undefined && waiter) body.propagation = await bulkPropagation(waiter.tracker, result, b.waitMs);
      return body;
    },
  }),
];
