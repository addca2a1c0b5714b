import { z } from 'zod';
import type { SdkKeyView } from '@switchyard-flags/sdk/api';
import { routeFor } from '../http/route.js';
import { reasonSchema, text } from '../validation.js';
import type { SdkKeyService } from './sdk-keys.js';

export const sdkKeyKindSchema = z.enum(['server', 'client']);
export const createSchema = z.strictObject({ name: text(100, 'name'), kind: sdkKeyKindSchema.default('server'), secureMode: z.boolean().default(false), environment: z.string().min(1).max(32).optional() });
export const revokeSchema = z.strictObject({ reason: reasonSchema.optional() });

/** `SdkKeyView` (sdk/src/api.ts): a key as listed, never its secret. */
export const sdkKeyViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  kind: sdkKeyKindSchema,
  prefix: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
  secureMode: z.boolean(),
  environment: z.string(),
}).meta({ id: 'SdkKeyView' }) satisfies z.ZodType<SdkKeyView>;

const route = routeFor<{ sdkKeys: SdkKeyService }>('auth');

/** SDK keys: list, issue (the secret once), revoke. */
export const sdkKeyRoutes = [
  route({
    method: 'get', path: '/api/sdk-keys', summary: 'List SDK keys (never the secret)', access: { permission: 'manageKeys' },
    response: z.strictObject({ keys: z.array(sdkKeyViewSchema) }),
    handler: async (_input, { sdkKeys }) => ({ keys: await sdkKeys.list() }),
  }),
  route({
    method: 'post', path: '/api/sdk-keys', summary: 'Issue an SDK key (the secret is shown once)', access: { permission: 'manageKeys' },
    description: '`kind` `server` (default): a backend key that reads full flag states (`GET /sdk/flags`, `/sdk/stream`). `client`: a key for browsers and mobile apps that gets only answers evaluated for the context it sends (OFREP) and is refused on the full-state routes. `environment` (default DEFAULT_ENVIRONMENT, `production`): the one environment the key reads, for good: its stream, `/sdk/flags` and OFREP answers carry that environment\'s state only and no request parameter or header chooses another (an unknown or archived environment is a 404). `secureMode: true` (client keys): OFREP then answers only contexts whose `targetingKey` the app\'s backend signed (HMAC-SHA256, hex, sent as the context attribute `secureHash`) with the `secureModeSecret` this answer carries once (docs/sdk.md, secure mode).',
    body: createSchema, status: 201, response: sdkKeyViewSchema.extend({ key: z.string(), secureModeSecret: z.string().optional() }),
    example: { body: { name: 'support-web', kind: 'client' } },
    handler: ({ body, actor }, { sdkKeys }) => sdkKeys.create(actor, body.name, body.kind, body.secureMode, body.environment),
  }),
  route({
    method: 'post', path: '/api/sdk-keys/:id/revoke', summary: 'Revoke an SDK key; its live sockets close with 4401',
    access: { permission: 'manageKeys' }, body: revokeSchema, response: sdkKeyViewSchema,
    example: { params: { id: 'key_from_the_create_answer' }, body: { reason: 'leaked in a public repo' } },
    handler: ({ body, params, actor }, { sdkKeys }) => sdkKeys.revoke(actor, params.id!, body.reason),
  }),
];
