import { z } from 'zod';
import { routeFor } from '../http/route.js';
import { jsonValueWire } from '../http/schemas.js';
import { etagMatches, statusOf, type OfrepFailure, type OfrepSuccess } from './ofrep-evaluation.js';
import type { OfrepService } from './ofrep-service.js';
import { INACTIVITY_DELAY_SEC } from './ofrep-events.js';
import { Unauthorized } from '../errors.js';
import { verifiedContext } from '../auth/secure-mode.js';
import type { Principal } from '../actor.js';

/** `{context?: {targetingKey?, ...attributes}}`: OFREP's `evaluationRequest` / `bulkEvaluationRequest`. */
export const ofrepRequestSchema = z.looseObject({ context: z.record(z.string(), z.unknown()).optional() });

const metadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const success = z.strictObject({
  key: z.string(),
  value: jsonValueWire,
  reason: z.enum(['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'UNKNOWN']),
  variant: z.enum(['on', 'off']),
  metadata,
}).meta({ id: 'OfrepEvaluationSuccess' }) satisfies z.ZodType<OfrepSuccess>;
const errorCode = z.enum(['PARSE_ERROR', 'TARGETING_KEY_MISSING', 'INVALID_CONTEXT', 'GENERAL', 'FLAG_NOT_FOUND']);
const failure = z.strictObject({ key: z.string(), errorCode, errorDetails: z.string() }).meta({ id: 'OfrepEvaluationFailure' }) satisfies z.ZodType<OfrepFailure>;
/** OFREP's error body for a refused request: `{errorCode, errorDetails}`, with the flag `key` on the single-flag route. */
const ofrepError = z.strictObject({ key: z.string().optional(), errorCode, errorDetails: z.string() }).meta({ id: 'OfrepError' });
const eventStream = z.strictObject({ type: z.literal('sse'), url: z.string(), inactivityDelaySec: z.number().int().min(1).optional() });
export const ofrepBulkSchema = z.strictObject({ flags: z.array(z.union([success, failure])), eventStreams: z.array(eventStream).optional(), metadata: metadata.optional() });

const route = routeFor<{ ofrep: OfrepService }>('ofrep');

/**
 * Every OFREP answer is of the SDK key's own environment (issue 23): nothing in the request (no
 * parameter, header or body field) chooses another. `access: {sdkKey: true}` admits SDK keys only.
 */
function keyEnvironment(p: Principal | undefined): string {
  if (p?.kind !== 'sdk') throw new Unauthorized('OFREP takes an SDK key', 'invalid_sdk_key');
  return p.environment;
}

const etagHeader = { ETag: { description: 'The state version and a digest of the canonical context, quoted: send it back as If-None-Match.', schema: { type: 'string' } } };
/** OFREP answers a refused credential without a body (ofrep-http.ts `ofrepErrors`), and any other 4xx with its own error shape. */
const refusals = {
  '401': { description: 'No SDK key, or an unknown or revoked one (no body); or a secure-mode client key\'s context without `secureHash` (`{errorCode: GENERAL, errorDetails}`).', headers: { 'WWW-Authenticate': { schema: { type: 'string' } } }, schema: ofrepError },
  '403': { description: 'Not an SDK key (no body); or a secure-mode client key\'s context whose `secureHash` does not match its `targetingKey` (`{errorCode: GENERAL, errorDetails}`).', schema: ofrepError },
  '429': { description: 'Too many failed authentications from this address (no body).', headers: { 'Retry-After': { schema: { type: 'string' } } } },
  '4XX': { description: '`{key?, errorCode, errorDetails}`: a bad request in OFREP\'s terms', schema: ofrepError },
};
/** The SDK key, as `Authorization: Bearer` or OFREP's `X-API-Key` header (ofrep-http.ts). */
const security = [{ sdkKey: [] }, { sdkApiKey: [] }];
const example = { params: { key: 'support-draft' }, body: { context: { targetingKey: 'user-1', plan: 'pro' } } };

/** The OpenFeature Remote Evaluation Protocol (open-feature/protocol `service/openapi.yaml`, ADR-0008): any SDK key. */
export const ofrepRoutes = [
  route({
    method: 'post', path: '/ofrep/v1/evaluate/flags/:key', summary: 'OFREP: evaluate one flag for a context', access: { sdkKey: true },
    description:
      "OpenFeature's Remote Evaluation Protocol, single flag: the same `evaluate()` the SDK and the preview use. `context.targetingKey` is the bucketing key. 200 `{key, value, reason, variant, metadata}`; 404 `{key, errorCode: FLAG_NOT_FOUND}`; 400 `{key, errorCode: TARGETING_KEY_MISSING | INVALID_CONTEXT | PARSE_ERROR | GENERAL, errorDetails}`.",
    body: ofrepRequestSchema, response: success,
    openapi: { security, responses: { ...refusals, '400': { description: '`{key, errorCode, errorDetails}`', schema: failure }, '404': { description: '`{key, errorCode: "FLAG_NOT_FOUND", errorDetails}`', schema: failure } } },
    example,
    handler: async ({ req, params, body, res }, { ofrep }) => {
      const result = await ofrep.single(keyEnvironment(req.principal), params.key!, verifiedContext(req.principal, body.context));
      res.status(statusOf(result)).json(result);
    },
  }),
  route({
    method: 'post', path: '/ofrep/v1/evaluate/flags', summary: 'OFREP: evaluate every flag for a context (ETag / 304)', access: { sdkKey: true },
    description:
      "OpenFeature's Remote Evaluation Protocol, bulk: every flag for the context, failures (`TARGETING_KEY_MISSING` for a partial rollout without a key) in place. The answer carries an `ETag` from the state version and the canonical context; a request whose `If-None-Match` holds it gets a 304 with no body. Server and client SDK keys alike.",
    body: ofrepRequestSchema, response: ofrepBulkSchema,
    openapi: {
      security,
      parameters: [{ name: 'If-None-Match', in: 'header', required: false, description: 'The ETag of the answer you hold; unchanged is a 304.', schema: { type: 'string' } }],
      headers: etagHeader,
      responses: { ...refusals, '304': { description: 'Not modified: nothing changed for this context.', headers: etagHeader } },
    },
    example: { body: example.body },
    handler: async ({ req, res, body }, { ofrep }) => {
      res.setHeader('Cache-Control', 'private, no-cache');
      res.setHeader('Vary', 'Authorization, X-API-Key, Origin');
      const context = verifiedContext(req.principal, body.context);
      const env = keyEnvironment(req.principal);
      const etag = await ofrep.bulkEtag(env, context);
      if (etagMatches(req.headers['if-none-match'], etag)) {
        res.setHeader('ETag', etag);
        ofrep.notModified(env);
        res.status(304).end();
        return;
      }
      const answer = await ofrep.bulk(env, context);
      res.setHeader('ETag', answer.etag);
      const p = req.principal;
      const url = p?.kind === 'sdk' ? ofrep.events.url(p.keyId) : '';
      return { flags: answer.flags, eventStreams: [{ type: 'sse' as const, url, inactivityDelaySec: INACTIVITY_DELAY_SEC }] };
    },
  }),
  route({
    method: 'get', path: '/ofrep/v1/events', summary: 'OFREP: server-sent events telling a client to re-fetch (ADR-0008)', access: { public: true },
    description:
      'The `eventStreams` URL of a bulk answer: `text/event-stream` of `{"type":"refetchEvaluation","etag":"\\"<state version>\\"","lastModified":<unix s>}` (event `message`, id the state version), one on connect and one per change, fed by the same change feed as `/sdk/stream`. The `token` names the SDK key (never the key itself) and works on every replica sharing the signing secret and stops working when the key is revoked (401: re-fetch the bulk answer for a new URL).',
    query: z.looseObject({ token: z.string().max(512).optional() }), produces: 'text/event-stream',
    openapi: {
      security: [{ eventStreamToken: [] }],
      responses: {
        '401': { description: 'The token is unknown (signed with another secret) or its SDK key was revoked: re-fetch the bulk answer for a new URL (no body, as every OFREP refusal).', headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } },
        '4XX': refusals['4XX'],
      },
    },
    handler: async ({ query, res }, { ofrep }) => {
      const keyId = query.token ? ofrep.events.keyOf(query.token) : undefined;
      const env = keyId ? await ofrep.liveKeyEnvironment(keyId) : undefined;
      if (!keyId || !env) throw new Unauthorized('the event stream token is unknown (signed with another secret) or its SDK key was revoked: re-fetch POST /ofrep/v1/evaluate/flags for a new one', 'invalid_stream_token');
      ofrep.events.open(res, keyId, env, await ofrep.version(env));
    },
  }),
];
