import { z } from 'zod';
import { archiveSchema, createFlagSchema, flagKeySchema, listFlagsQuerySchema, patchFlagSchema, unarchiveSchema } from '../flags/flag-schemas.js';
import { oneFlagSchema, restoreScopeSchema, scopeSchema } from '../killswitch/kill-routes.js';
import { staleQuerySchema, usageQuerySchema } from '../telemetry/telemetry-routes.js';
import type { RouteDoc } from './route-doc.js';

/** Flags, the kill switch, propagation and usage. Examples run in this order against a prepared server (test/openapi.test.ts). */
export const flagRouteDocs: RouteDoc[] = [
  {
    method: 'get', path: '/api/flags', tag: 'flags', summary: 'List flags', access: { permission: 'read' },
    query: listFlagsQuerySchema, returns: '`{flags: FlagView[]}`',
  },
  {
    method: 'post', path: '/api/flags', tag: 'flags', summary: 'Create a flag', access: { permission: 'editFlags' },
    body: createFlagSchema, status: 201, returns: 'the FlagView',
    example: { body: { key: 'support-draft', description: 'AI-drafted replies in the support inbox', owner: 'ai-platform@acme.com', tags: ['ai', 'support'], on: true, off: false } },
  },
  {
    method: 'get', path: '/api/flags/:key', tag: 'flags', summary: 'Read a flag', access: { permission: 'read' }, returns: 'the FlagView',
  },
  {
    method: 'patch', path: '/api/flags/:key', tag: 'flags', summary: "Edit a flag's description, owner, tags or values", access: { permission: 'editFlags' },
    body: patchFlagSchema, returns: 'the FlagView; 409 when `version` is not the current one',
    example: { params: { key: 'support-draft' }, body: { version: 1, description: 'AI-drafted replies (prompt v1.4)', reason: 'clarify what the flag gates' } },
  },
  {
    method: 'post', path: '/api/flags/:key/archive', tag: 'flags', summary: 'Archive a flag (its key is never reused)', access: { permission: 'editFlags' },
    description: 'An archived flag leaves every SDK, which then serves each caller its own fallback. A killed flag cannot be archived (409 `flag_killed`): restore it or keep it killed.',
    body: archiveSchema, returns: 'the FlagView; 409 `flag_killed` when the flag is killed',
    example: { params: { key: 'old-banner' }, body: { reason: 'launched to everyone; the code path is removed' } },
  },
  {
    method: 'post', path: '/api/flags/:key/unarchive', tag: 'flags', summary: 'Bring an archived flag back (admins, with a reason)', access: { permission: 'unarchive' },
    description: 'SDKs get the flag again exactly as it was archived. Audited as `flag.unarchive`; 409 `not_archived` for a live flag.',
    body: unarchiveSchema, returns: 'the FlagView',
    example: { params: { key: 'old-banner' }, body: { reason: 'billing still reads it; archive again after the migration' } },
  },
  {
    method: 'post', path: '/api/flags/:key/kill', tag: 'kill switch', summary: 'Kill a flag: everyone gets its off value',
    description: 'Idempotent (`changed: false` when already killed). With `waitMs` the answer waits for connected SDKs to acknowledge and carries `propagation`.',
    access: { permission: 'kill' }, body: oneFlagSchema, returns: 'the FlagView (with the `killId` of the kill holding it) with `changed` (and `propagation` with waitMs)',
    example: { params: { key: 'support-draft' }, body: { reason: 'cost spike: $180/h on the drafting model', waitMs: 500 } },
  },
  {
    method: 'post', path: '/api/flags/:key/restore', tag: 'kill switch', summary: 'Restore a killed flag to the stage it was at', access: { permission: 'kill' },
    body: oneFlagSchema, returns: 'the FlagView with `changed`',
    example: { params: { key: 'support-draft' }, body: { reason: 'provider rate limits back to normal' } },
  },
  {
    method: 'post', path: '/api/kill', tag: 'kill switch', summary: 'Kill every flag with a tag, or all flags', access: { permission: 'kill' },
    description: 'One transaction: all are killed or none. The answer\'s `killId` is stored on every flag this request killed (flags already killed keep their own); `POST /api/restore {killId}` undoes exactly this kill. With `waitMs` (0..5000) the answer waits for connected SDKs to acknowledge every killed flag and carries `propagation`, keyed by flag.',
    body: scopeSchema, returns: '`{killId: string | null, killed: string[], alreadyKilled: string[]}` (and `propagation: {[flag]: {key, stateVersion, connected, applied, pending, slowestMs, medianMs}}` with waitMs)',
    example: { body: { tag: 'ai', reason: 'model provider outage', waitMs: 500 } },
  },
  {
    method: 'post', path: '/api/restore', tag: 'kill switch', summary: 'Restore every flag with a tag, all flags, or exactly one kill', access: { permission: 'kill' },
    description: 'One transaction. Exactly one of `tag`, `all: true` or `killId`. With `killId` (from a kill\'s answer, e.g. `{"killId": "0b4c…", "reason": "provider is back"}`) only the flags still killed by that kill are restored: flags of that kill restored since are listed in `alreadyLive`, those killed again since by another kill in `notThisKill` (left killed); an unknown id is a 404. With `waitMs` (0..5000) the answer waits for connected SDKs to acknowledge every restored flag and carries `propagation`, keyed by flag.',
    body: restoreScopeSchema, returns: '`{restored: string[], alreadyLive: string[]}` (and `notThisKill: string[]` with killId; `propagation: {[flag]: Propagation}` with waitMs)',
    example: { body: { tag: 'ai', reason: 'provider is back', waitMs: 500 } },
  },
  {
    method: 'get', path: '/api/flags/:key/propagation', tag: 'kill switch', summary: "How far the flag's latest change has reached connected SDKs",
    access: { permission: 'read' }, returns: '`{key, stateVersion, connected, applied, pending, slowestMs, medianMs}`',
  },
  {
    method: 'get', path: '/api/flags/:key/usage', tag: 'usage', summary: 'Evaluations SDKs served, per stage (evaluation telemetry)',
    access: { permission: 'read' }, query: usageQuerySchema,
    returns: '`{key, stage, days, evaluations, users, lastEvaluatedAt, stages: [{stage, percent, evaluations, on, off, fallback, users, lastEvaluatedAt}]}` (`users`: about how many distinct users were served `on`, from SDKs that report reach; null when none did)',
  },
  {
    method: 'get', path: '/api/stale-flags', tag: 'usage', summary: 'Live flags not evaluated for N days (candidates for removal)',
    description: 'Never-evaluated flags count once they are N days old.',
    access: { permission: 'read' }, query: staleQuerySchema, returns: '`{days, cutoff, flags: [{key, owner, createdAt, lastEvaluatedAt}]}`',
  },
];

/** Path parameters by name: what `:key` and `:id` accept. */
export const pathParams: Record<string, z.ZodType> = {
  key: flagKeySchema,
  id: z.string().max(100),
};
