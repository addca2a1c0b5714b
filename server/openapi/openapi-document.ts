import { z } from 'zod';
import { PROTOCOL_VERSION } from '../../sdk/src/protocol.js';
import { CAN } from '../auth/roles.js';
import type { RouteDoc } from './route-doc.js';
import { flagRouteDocs, pathParams } from './routes-flags.js';
import { platformRouteDocs } from './routes-platform.js';
import { rolloutRouteDocs } from './routes-rollout.js';

/** Every HTTP route the server registers, documented. test/openapi.test.ts holds the two lists equal. */
export const routeDocs: readonly RouteDoc[] = [...flagRouteDocs, ...rolloutRouteDocs, ...platformRouteDocs];

type Json = Record<string, unknown>;

/** `/api/flags/:key/kill` -> `/api/flags/{key}/kill`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

/** `post /api/flags/:key/kill` -> `postFlagsKeyKill`. */
export function operationId(r: Pick<RouteDoc, 'method' | 'path'>): string {
  const words = r.path.replace(/^\/api\//, '/').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return r.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/**
 * The zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), input side: what a caller
 * sends, defaults optional. Local `$defs` (recursive JSON values) move to components.
 */
function toSchema(schema: z.ZodType, defs: Json, prefix: string): Json {
  const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  const local = (js.$defs ?? {}) as Json;
  delete js.$schema;
  delete js.$defs;
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' ? x.replace('#/$defs/', `#/components/schemas/${prefix}_`) : rewrite(x)]),
    );
  };
  for (const [id, d] of Object.entries(local)) defs[`${prefix}_${id}`] = rewrite(d);
  return rewrite(js) as Json;
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
  const status = String(r.status ?? 200);
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
      [status]: { description: r.returns, content: { [r.produces ?? 'application/json']: { schema: {} } } },
      '4XX': { $ref: '#/components/responses/Error' },
      '5XX': { $ref: '#/components/responses/Error' },
    },
  };
}

let cached: Json | undefined;

/** The OpenAPI 3.1 document, generated from the route catalogue and the zod schemas the routes validate with. */
export function openApiDocument(): Json {
  if (cached) return cached;
  const defs: Json = {
    ApiError: {
      type: 'object',
      required: ['error'],
      properties: {
        error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } },
      },
    },
  };
  const paths: Record<string, Json> = {};
  for (const r of routeDocs) {
    const p = (paths[openApiPath(r.path)] ??= {});
    if (p[r.method]) throw new Error(`openapi: ${r.method} ${r.path} is documented twice`);
    p[r.method] = operation(r, defs);
  }
  cached = {
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
  return cached;
}
