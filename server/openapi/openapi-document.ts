import { environmentKeySchema } from '../environments/environment-routes.js';
import { z } from 'zod';
import { PROTOCOL_VERSION } from '@switchyard-flags/sdk/protocol';
import { CAN } from '../auth/roles.js';
import type { Route } from '../http/route.js';
import { errorBodySchema } from '../http/schemas.js';
import { SchemaComponents } from './openapi-schemas.js';
import { SECURITY_SCHEMES, TAGS } from './openapi-tags.js';
import { flagKeySchema } from '../validation.js';

type RouteDoc = Route<never>;
type Json = Record<string, unknown>;

/** Path parameters by name: what `:key` and `:id` accept. */
export const pathParams: Record<string, z.ZodType> = {
  key: flagKeySchema,
  id: z.string().max(100),
  env: environmentKeySchema,
};

/** `/api/flags/:key/kill` -> `/api/flags/{key}/kill`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

/** `post /api/flags/:key/kill` -> `postFlagsKeyKill`. */
export function operationId(r: Pick<RouteDoc, 'method' | 'path'>): string {
  const words = r.path.replace(/^\/api\//, '/').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return r.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function security(r: RouteDoc): { security: Json[]; roles?: readonly string[] } {
  const a = r.access;
  if (r.openapi?.security) return { security: r.openapi.security, roles: 'permission' in a ? CAN[a.permission] : undefined };
  if ('public' in a) return { security: [] };
  if ('sdkKey' in a) return { security: [{ sdkKey: [] }] };
  if ('scrape' in a) return { security: [{ metricsToken: [] }, { userToken: [] }] };
  return { security: [{ userToken: [] }], roles: CAN[a.permission] };
}

const mediaTypes = (r: RouteDoc): readonly string[] => (r.produces === undefined ? [] : typeof r.produces === 'string' ? [r.produces] : r.produces);

/** The success answer: its JSON schema (required for a JSON answer), or the media types of a body that is not JSON. */
function success(r: RouteDoc, id: string, defs: SchemaComponents): Json {
  const headers = r.openapi?.headers ? { headers: r.openapi.headers } : {};
  if (r.response) {
    const schema = defs.add(r.response, `${id}_response`, 'output');
    return { description: defs.describe(schema), ...headers, content: { 'application/json': { schema } } };
  }
  const types = mediaTypes(r);
  if (types.length === 0) throw new Error(`openapi: ${r.method} ${r.path} answers JSON but has no response schema: give it \`response\``);
  return { description: r.summary, ...headers, content: Object.fromEntries(types.map((t) => [t, { schema: { type: 'string' } }])) };
}

function otherResponses(r: RouteDoc, id: string, defs: SchemaComponents): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(r.openapi?.responses ?? {}).map(([status, { schema, produces, ...rest }]) => [
      status,
      schema
        ? { ...rest, content: { 'application/json': { schema: defs.add(schema, `${id}_${status}`, 'output') } } }
        : produces
          ? { ...rest, content: { [produces]: { schema: { type: 'string' } } } }
          : rest,
    ]),
  );
}

function operation(r: RouteDoc, defs: SchemaComponents): Json {
  const id = operationId(r);
  const parameters: Json[] = [];
  for (const [, name] of r.path.matchAll(/:([A-Za-z]+)/g)) {
    const schema = pathParams[name!];
    if (!schema) throw new Error(`openapi: no schema for path parameter :${name} (${r.path})`);
    const example = r.example?.params?.[name!];
    parameters.push({ name, in: 'path', required: true, schema: defs.add(schema, `${id}_${name}`), ...(example ? { example } : {}) });
  }
  if (r.query) {
    const q = defs.add(r.query, `${id}_query`);
    const required = new Set((q.required ?? []) as string[]);
    for (const [name, schema] of Object.entries((q.properties ?? {}) as Json)) {
      parameters.push({ name, in: 'query', required: required.has(name), schema });
    }
  }
  const { security: sec, roles } = security(r);
  for (const p of r.openapi?.parameters ?? []) parameters.push(p);
  const rolesLine = roles ? `\n\nRoles: ${roles.join(', ')}.` : '';
  return {
    operationId: id,
    summary: r.summary,
    ...(r.description || roles ? { description: `${r.description ?? r.summary}${rolesLine}` } : {}),
    tags: [r.tag],
    security: sec,
    ...(roles ? { 'x-roles': roles } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(r.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: defs.add(r.body, `${id}_body`), ...(r.example?.body !== undefined ? { example: r.example.body } : {}) } },
          },
        }
      : {}),
    responses: {
      [String(r.status ?? 200)]: success(r, id, defs),
      '4XX': { $ref: '#/components/responses/Error' },
      '5XX': { $ref: '#/components/responses/Error' },
      ...otherResponses(r, id, defs),
    },
  };
}

/** The document's top: what its readers rely on; the rest is OpenAPI 3.1. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; [k: string]: unknown };
  paths: Record<string, Json>;
  components: { schemas: Json; responses: Record<string, Json>; securitySchemes: Record<string, Json> };
  [k: string]: unknown;
}

const cache = new WeakMap<readonly RouteDoc[], OpenApiDocument>();

/**
 * The OpenAPI 3.1 document, generated from the route table (server/routes.ts) and the zod
 * schemas the routes validate and answer with; one tag per domain.
 */
export function openApiDocument(routeDocs: readonly RouteDoc[]): OpenApiDocument {
  const cached = cache.get(routeDocs);
  if (cached) return cached;
  const defs = new SchemaComponents();
  defs.add(errorBodySchema, 'ApiError', 'output'); // `ApiError`: the one error body, referred to by every operation's 4XX and 5XX
  const paths: Record<string, Json> = {};
  for (const r of routeDocs) {
    const p = (paths[openApiPath(r.path)] ??= {});
    if (p[r.method]) throw new Error(`openapi: ${r.method} ${r.path} is documented twice`);
    p[r.method] = operation(r, defs);
  }
  const doc: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard',
      version: '1.0.0',
      license: { name: 'MIT', identifier: 'MIT' },
      summary: 'Feature flags and kill switches: gated cohort rollouts, websocket push, a hash-chained audit trail.',
      description:
        'Errors are `{"error": {"code", "message", "details?"}}` (the `ApiError` schema; the OFREP routes answer in OFREP\'s own terms). Every change is audited in the same transaction. ' +
        'Request schemas are generated from the zod schemas the server validates with (unknown fields are refused).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: [...new Set(routeDocs.map((r) => r.tag))].map((name) => {
      if (!TAGS[name]) throw new Error(`openapi: tag "${name}" has no description in TAGS (server/openapi/openapi-tags.ts)`);
      return { name, description: TAGS[name] };
    }),
    paths,
    components: {
      schemas: defs.schemas,
      responses: { Error: { description: 'The one error body', content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } } } },
      securitySchemes: SECURITY_SCHEMES,
    },
    'x-websockets': [
      { path: '/sdk/stream', protocol: PROTOCOL_VERSION, credential: 'sdkKey', description: 'Snapshot, then changes; the client acknowledges and reports telemetry. See docs/protocol.md.' },
      { path: '/api/stream', credential: 'userToken (any reader role)', description: 'Flag changes, audit entries and propagation for the admin UI. See docs/protocol.md.' },
    ],
  };
  cache.set(routeDocs, doc);
  return doc;
}
