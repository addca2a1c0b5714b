import { z } from 'zod';
import { PROTOCOL_VERSION } from '@switchyard-flags/sdk/protocol';
import { CAN } from '../auth/roles.js';
import type { Route } from '../http/route.js';
import { errorBodySchema } from '../http/schemas.js';
import { flagKeySchema } from '../validation.js';

type RouteDoc = Route<never>;
type Json = Record<string, unknown>;

/** Path parameters by name: what `:key` and `:id` accept. */
export const pathParams: Record<string, z.ZodType> = {
  key: flagKeySchema,
  id: z.string().max(100),
};

/** `/api/flags/:key/kill` -> `/api/flags/{key}/kill`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

/** `post /api/flags/:key/kill` -> `postFlagsKeyKill`. */
export function operationId(r: Pick<RouteDoc, 'method' | 'path'>): string {
  const words = r.path.replace(/^\/api\//, '/').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return r.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/**
 * The zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect): the input side for what a
 * caller sends (defaults optional), the output side for answers. Local `$defs` (recursive
 * JSON values) move to components.
 */
function toSchema(schema: z.ZodType, defs: Json, prefix: string, io: 'input' | 'output' = 'input'): Json {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  const local = (js.$defs ?? {}) as Json;
  delete js.$schema;
  delete js.$defs;
  // Schemas given an id (`FlagView`, `Gate`, …) are one shared component; zod's own anonymous
  // definitions (`__schema0`: recursive JSON values) stay local to the operation.
  const name = (id: string) => (/^__schema\d+$/.test(id) ? `${prefix}_${id}` : id);
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' ? x.replace(/^#\/\$defs\/(.+)$/, (_, id: string) => `#/components/schemas/${name(id)}`) : rewrite(x)]),
    );
  };
  for (const [id, d] of Object.entries(local)) defs[name(id)] = rewrite(d);
  const root = rewrite(js) as Json;
  // A root schema with an id (`.meta({ id: 'FlagView' })`) is shared too: refer to it.
  const id = z.globalRegistry.get(schema)?.id;
  if (id === undefined) return root;
  if (root.$ref === undefined) defs[id] = root; // else zod already put it in $defs, moved above
  return { $ref: `#/components/schemas/${id}` };
}

function security(r: RouteDoc): { security: Json[]; roles?: readonly string[] } {
  const a = r.access;
  if ('public' in a) return { security: [] };
  if ('sdkKey' in a) return { security: [{ sdkKey: [] }] };
  if ('scrape' in a) return { security: [{ metricsToken: [] }, { userToken: [] }] };
  return { security: [{ userToken: [] }], roles: CAN[a.permission] };
}

function operation(r: RouteDoc, defs: Json): Json {
  const id = operationId(r);
  const parameters: Json[] = [];
  for (const [, name] of r.path.matchAll(/:([A-Za-z]+)/g)) {
    const schema = pathParams[name!];
    if (!schema) throw new Error(`openapi: no schema for path parameter :${name} (${r.path})`);
    const example = r.example?.params?.[name!];
    parameters.push({ name, in: 'path', required: true, schema: toSchema(schema, defs, `${id}_${name}`), ...(example ? { example } : {}) });
  }
  if (r.query) {
    const q = toSchema(r.query, defs, `${id}_query`);
    const required = new Set((q.required ?? []) as string[]);
    for (const [name, schema] of Object.entries((q.properties ?? {}) as Json)) {
      parameters.push({ name, in: 'query', required: required.has(name), schema });
    }
  }
  const { security: sec, roles } = security(r);
  for (const p of r.openapi?.parameters ?? []) parameters.push(p);
  const status = String(r.status ?? 200);
  const success = r.response ? toSchema(r.response, defs, `${id}_response`, 'output') : {};
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
            content: { 'application/json': { schema: toSchema(r.body, defs, `${id}_body`), ...(r.example?.body !== undefined ? { example: r.example.body } : {}) } },
          },
        }
      : {}),
    responses: {
      [status]: {
        description: r.returns,
        ...(r.openapi?.headers ? { headers: r.openapi.headers } : {}),
        content: { [r.produces ?? 'application/json']: { schema: success } },
      },
      ...r.openapi?.responses,
      '4XX': { $ref: '#/components/responses/Error' },
      '5XX': { $ref: '#/components/responses/Error' },
    },
  };
}

const cache = new WeakMap<readonly RouteDoc[], Json>();

/**
 * The OpenAPI 3.1 document, generated from the route table (server/routes.ts) and the zod
 * schemas the routes validate and answer with; one tag per domain.
 */
export function openApiDocument(routeDocs: readonly RouteDoc[]): Json {
  const cached = cache.get(routeDocs);
  if (cached) return cached;
  const defs: Json = { ApiError: toSchema(errorBodySchema, {}, 'ApiError', 'output') };
  const paths: Record<string, Json> = {};
  for (const r of routeDocs) {
    const p = (paths[openApiPath(r.path)] ??= {});
    if (p[r.method]) throw new Error(`openapi: ${r.method} ${r.path} is documented twice`);
    p[r.method] = operation(r, defs);
  }
  const doc: Json = {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard',
      version: '1.0.0',
      summary: 'Feature flags and kill switches: gated cohort rollouts, websocket push, a hash-chained audit trail.',
      description:
        'Errors are `{"error": {"code", "message", "details?"}}`. Every change is audited in the same transaction. ' +
        'Request schemas are generated from the zod schemas the server validates with (unknown fields are refused).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: [...new Set(routeDocs.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: defs,
      responses: { Error: { description: 'The one error body', content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } } } },
      securitySchemes: {
        userToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A user token (`switchyard token --sub you --role oncall`) or one from your JWKS issuer.' },
        sdkKey: { type: 'http', scheme: 'bearer', description: 'An SDK key, `sy_sdk_...` (reads flag state only).' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for Prometheus.' },
      },
    },
    'x-websockets': [
      { path: '/sdk/stream', protocol: PROTOCOL_VERSION, credential: 'sdkKey', description: 'Snapshot, then changes; the client acknowledges and reports telemetry. See docs/protocol.md.' },
      { path: '/api/stream', credential: 'userToken (any reader role)', description: 'Flag changes, audit entries and propagation for the admin UI. See docs/protocol.md.' },
    ],
  };
  cache.set(routeDocs, doc);
  return doc;
}
