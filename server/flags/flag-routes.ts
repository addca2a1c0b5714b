import { routeFor } from '../http/route.js';
import type { EnvironmentService } from '../environments/environment-service.js';
import {
  archiveSchema,
  createFlagSchema,
  flagListSchema,
  flagViewSchema,
  listFlagsQuerySchema,
  patchFlagSchema,
  unarchiveSchema,
} from './flag-schemas.js';
import type { FlagService } from './flag-service.js';

const route = routeFor<{ flags: FlagService; environments: EnvironmentService }>('flags');

/** Flags: list, create, read, edit, archive. Examples run in this order against a prepared server (test/openapi.test.ts). */
export const flagRoutes = [
  route({
    method: 'get', path: '/api/flags', summary: 'List flags', access: { permission: 'read' },
    description: 'In pages, in key order: `limit` flags (100 by default, at most 500; a page also ends near 1 MB), `next` the `cursor` of the next page or null on the last. Values longer than 256 bytes of JSON are left out (their sizes in `omittedValues`) unless `values=full`; `GET /api/flags/:key` always has them.',
    query: listFlagsQuerySchema, response: flagListSchema,
    handler: ({ query: q }, { flags }) => flags.page({ includeArchived: q.archived === 'true', tag: q.tag, owner: q.owner }, q.cursor, q.limit, q.values === 'full'),
  }),
  route({
    method: 'post', path: '/api/flags', summary: 'Create a flag', access: { permission: 'editFlags' },
    body: createFlagSchema, status: 201, response: flagViewSchema,
    example: { body: { key: 'support-draft', description: 'AI-drafted replies in the support inbox', owner: 'ai-platform@acme.com', tags: ['ai', 'support'], on: true, off: false } },
    handler: async ({ body, actor }, { flags }) => flags.withStates(await flags.create(actor, body)),
  }),
  route({
    method: 'get', path: '/api/flags/:key', summary: 'Read a flag', access: { permission: 'read' }, response: flagViewSchema,
    handler: async ({ params }, { flags, environments }) => flags.get(params.key!, await environments.scope(params.env)),
  }),
  route({
    method: 'patch', path: '/api/flags/:key', summary: "Edit a flag's description, owner, tags or values", access: { permission: 'editFlags' },
    body: patchFlagSchema, response: flagViewSchema,
    example: { params: { key: 'support-draft' }, body: { version: 1, description: 'AI-drafted replies (prompt v1.4)', reason: 'clarify what the flag gates' } },
    handler: async ({ body, params, actor }, { flags }) => flags.withStates(await flags.update(actor, params.key!, body)),
  }),
  route({
    method: 'post', path: '/api/flags/:key/archive', summary: 'Archive a flag (its key is never reused)', access: { permission: 'editFlags' },
    description: 'An archived flag leaves every SDK, which then serves each caller its own fallback. A killed flag cannot be archived (409 `flag_killed`): restore it or keep it killed.',
    body: archiveSchema, response: flagViewSchema,
    example: { params: { key: 'old-banner' }, body: { reason: 'launched to everyone; the code path is removed' } },
    handler: async ({ body, params, actor }, { flags }) => flags.withStates(await flags.archive(actor, params.key!, body.reason, body.version)),
  }),
  route({
    method: 'post', path: '/api/flags/:key/unarchive', summary: 'Bring an archived flag back (admins, with a reason)', access: { permission: 'unarchive' },
    description: 'SDKs get the flag again exactly as it was archived. Audited as `flag.unarchive`; 409 `not_archived` for a live flag.',
    body: unarchiveSchema, response: flagViewSchema,
    example: { params: { key: 'old-banner' }, body: { reason: 'billing still reads it; archive again after the migration' } },
    handler: async ({ body, params, actor }, { flags }) => flags.withStates(await flags.unarchive(actor, params.key!, body.reason, body.version)),
  }),
];
