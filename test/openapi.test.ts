import SwaggerParser from '@apidevtools/swagger-parser';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTable } from '../server/app.js';
import { CAN, ROLES, type Role } from '../server/auth/roles.js';
import type { Route } from '../server/http/route.js';
import { errorBodySchema } from '../server/http/schemas.js';
import { openApiDocument as documentOf, openApiPath, pathParams } from '../server/openapi/openapi-document.js';
import { SchemaComponents } from '../server/openapi/openapi-schemas.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey } from './helpers/push-client.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Every route registered on the express app, as `get /api/flags/:key`, walking nested routers. */
function registeredRoutes(app: Express): string[] {
  const out = new Set<string>();
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) if (m !== '_all') out.add(`${m} ${prefix}${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + (typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : ''));
      }
    }
  };
  walk((app as any).router.stack, '');
  return [...out].sort();
}

/** Resolves a local JSON pointer (`#/components/schemas/X`) in the document. */
function resolve(doc: any, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, key) => (node === undefined ? undefined : node[key]), doc);
}

function refsIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => refsIn(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) k === '$ref' && typeof x === 'string' ? out.push(x) : refsIn(x, out);
  return out;
}

/** The route table, as the document sees it. */
const routeDocs: readonly Route<never>[] = routeTable;
const openApiDocument = () => documentOf(routeDocs);

/** A real answer holds to the route's response schema (the wire types of sdk/src/api.ts). */
function expectResponseSchema(r: Route<never>, body: unknown) {
  if (!r.response) return;
  const parsed = r.response.safeParse(body);
  expect(parsed.error?.issues, `${r.method} ${r.path} answers with its response schema`).toBeUndefined();
}

const fill = (path: string, params: Record<string, string>) => path.replace(/:([A-Za-z]+)/g, (_, n: string) => encodeURIComponent(params[n] ?? (n === 'env' ? 'production' : 'support-draft')));

describe('the OpenAPI document', () => {
  let ts: TestServer;
  let sdkKey: string;

  beforeAll(async () => {
    ts = await startTestServer();
    sdkKey = (await issueSdkKey(ts, 'openapi-test')).key;
    await createFlag(ts, 'old-banner'); // the archive example's flag; every other example builds on the ones before it
  });
  afterAll(() => ts.close());

  it('is served at /api/openapi.json without credentials, and is structurally OpenAPI 3.1', async () => {
    const res = await ts.api('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Switchyard', version: expect.any(String) });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
    const ids = new Set<string>();
    const tags = new Set(doc.tags.map((t: any) => t.name));
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      for (const [method, op] of Object.entries<any>(item)) {
        expect(METHODS, `${method} ${path}`).toContain(method);
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
        expect(op.summary).toEqual(expect.any(String));
        for (const t of op.tags) expect(tags.has(t)).toBe(true);
        const codes = Object.keys(op.responses);
        expect(codes.some((c) => /^2\d\d$/.test(c)), `${method} ${path} has a success response`).toBe(true);
        for (const c of codes) expect(c).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        for (const r of Object.values<any>(op.responses)) expect(r.description ?? r.$ref).toEqual(expect.any(String));
        const declared = (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name).sort();
        const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
        expect(declared, `${method} ${path} path parameters`).toEqual(templated);
        for (const p of op.parameters ?? []) {
          expect(['path', 'query', 'header', 'cookie']).toContain(p.in);
          if (p.in === 'path') expect(p.required).toBe(true);
          expect(p.schema).toBeTypeOf('object');
        }
        if (op.requestBody) expect(op.requestBody.content['application/json'].schema).toBeTypeOf('object');
        for (const s of op.security) for (const name of Object.keys(s)) expect(doc.components.securitySchemes[name]).toBeDefined();
      }
    }
    for (const ref of refsIn(doc)) {
      expect(ref.startsWith('#/'), ref).toBe(true);
      expect(resolve(doc, ref), ref).toBeDefined();
    }
  });

  it('documents every route registered on the express app, and nothing that is not one', () => {
    const app = ts.running.server.listeners('request')[0] as unknown as Express;
    const registered = registeredRoutes(app);
    const documented = routeDocs.map((r) => `${r.method} ${r.path}`).sort();
    expect(documented).toEqual(registered);
    const doc: any = openApiDocument();
    for (const r of routeDocs) expect(doc.paths[openApiPath(r.path)]?.[r.method], `${r.method} ${r.path}`).toBeDefined();
  });

  it('gives every route with a body an example that validates against the schema the route validates with', () => {
    for (const r of routeDocs) {
      if (!r.body) continue;
      expect(r.example?.body, `${r.method} ${r.path} has an example`).toBeDefined();
      const parsed = r.body.safeParse(r.example!.body);
      expect(parsed.error?.issues, `${r.method} ${r.path}`).toBeUndefined();
      for (const [name, value] of Object.entries(r.example?.params ?? {})) expect(pathParams[name]!.safeParse(value).success, `${r.path} :${name}`).toBe(true);
      const op: any = (openApiDocument() as any).paths[openApiPath(r.path)][r.method];
      expect(op.requestBody.content['application/json'].example).toEqual(r.example!.body);
    }
  });

  it('every documented example is accepted by the real server, in order, with a 2xx', async () => {
    const params: Record<string, string> = {};
    let i = 0;
    for (const r of routeDocs) {
      if (!r.example || r.method === 'get') continue;
      // The environment-scoped copies (/api/envs/:env/flags/:key/...) repeat the examples of the
      // routes they copy; test/environments-api.test.ts replays them in an environment of their own.
      if (r.path.startsWith('/api/envs/')) continue;
      const role = 'permission' in r.access ? CAN[r.access.permission][0] : 'admin';
      if (r.path === '/api/sdk-keys/:id/revoke') params.id = params.createdKeyId!;
      let body = r.example.body;
      if (r.path === '/api/flags/:key/promotion') {
        // A promotion is bound to the hashes its diff answers: read them first, as a client does
        // (the example's own are this replay's when written; an earlier example changed moves them).
        const b = body as { from: string; to: string };
        const d = await ts.api('GET', `${fill(r.path, r.example.params ?? {})}?from=${b.from}&to=${b.to}`, { as: 'viewer' });
        body = { ...b, sourceHash: d.body.sourceHash, targetHash: d.body.targetHash };
      }
      const res = await ts.api(r.method.toUpperCase(), fill(r.path, { ...r.example.params, ...params }), {
        token: 'sdkKey' in r.access ? sdkKey : await ts.token(role as Role, `${role}-example-${i++}`),
        body,
      });
      expect(res.status, `${r.method} ${r.path}: ${res.text}`).toBe(r.status ?? 200);
      expectResponseSchema(r, res.body);
      if (r.path === '/api/sdk-keys' && r.method === 'post') params.createdKeyId = res.body.id;
    }
  });

  it('every documented read answers 2xx with the documented credential, and roles outside the documented ones get 403', async () => {
    for (const r of routeDocs) {
      const url = fill(r.path, {});
      if (r.method === 'get' && r.produces === 'text/event-stream') {
        // A stream never ends: its URL (with the token) comes from the bulk answer that advertises it; read the head, then hang up.
        const bulk = await ts.api('POST', '/ofrep/v1/evaluate/flags', { body: {}, headers: { authorization: `Bearer ${sdkKey}` } });
        const streamUrl = bulk.body.eventStreams.map((s: { url: string }) => s.url).find((u: string) => new URL(u).pathname === r.path);
        const abort = new AbortController();
        const res = await fetch(streamUrl, { signal: abort.signal });
        expect(res.status, `GET ${r.path}`).toBe(200);
        expect(res.headers.get('content-type'), `GET ${r.path}`).toContain(r.produces);
        abort.abort();
      } else if (r.method === 'get') {
        const query = r.example?.query ? `?${new URLSearchParams(r.example.query)}` : '';
        const headers: Record<string, string> = {};
        if ('sdkKey' in r.access) headers.authorization = `Bearer ${sdkKey}`;
        const token = 'permission' in r.access ? await ts.token(CAN[r.access.permission][0] as Role) : 'scrape' in r.access ? await ts.token('viewer') : undefined;
        const res = await ts.api('GET', url + query, { token, headers });
        expect(res.status, `GET ${r.path}: ${res.text.slice(0, 200)}`).toBeGreaterThanOrEqual(200);
        expect(res.status, `GET ${r.path}: ${res.text.slice(0, 200)}`).toBeLessThan(300);
        expectResponseSchema(r, res.body);
      }
      if ('permission' in r.access) {
        const allowed: readonly string[] = CAN[r.access.permission];
        const outsider = ROLES.find((role) => !allowed.includes(role))!;
        const res = await ts.api(r.method.toUpperCase(), url, { as: outsider, body: r.example?.body });
        expect(res.status, `${r.method} ${r.path} as ${outsider}`).toBe(403);
        expect(errorBodySchema.safeParse(res.body).error?.issues, `${r.method} ${r.path}: the error body`).toBeUndefined();
      }
    }
  });

  it('passes an independent OpenAPI validator (swagger-parser) as served', async () => {
    const served = (await ts.api('GET', '/api/openapi.json')).body;
    await expect(SwaggerParser.validate(structuredClone(served))).resolves.toBeDefined();
  });

  it('gives the flag view, gates, propagation, audit entries and the error body a response schema', () => {
    const doc: any = openApiDocument();
    const deref = (schema: any): any => (schema?.$ref ? deref(resolve(doc, schema.$ref)) : schema);
    const success = (method: string, path: string, status = '200') => deref(doc.paths[path][method].responses[status].content['application/json'].schema);
    expect(success('get', '/api/flags/{key}').properties).toHaveProperty('killId');
    expect(success('post', '/api/flags/{key}/kill').properties).toHaveProperty('changed');
    expect(success('get', '/api/flags/{key}/gates').properties.gates.type).toBe('array');
    expect(deref(success('get', '/api/flags/{key}/gates').properties.gates.items).required).toEqual(expect.arrayContaining(['gate', 'ok', 'detail']));
    expect(success('get', '/api/flags/{key}/propagation').required).toEqual(expect.arrayContaining(['key', 'stateVersion', 'pending']));
    expect(deref(success('get', '/api/audit').properties.entries.items).properties).toHaveProperty('hash');
    expect(doc.components.schemas.ApiError.properties.error.required).toEqual(['code', 'message']);
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) expect(schema.$ref, `${name} is not a reference to itself`).not.toBe(`#/components/schemas/${name}`);
    for (const name of ['FlagView', 'Gate', 'GatesView', 'Propagation', 'AuditEntry']) expect(doc.components.schemas[name]?.type, name).toBe('object');
    for (const r of routeDocs) if (r.response) expect(Object.keys(success(r.method, openApiPath(r.path), String(r.status ?? 200))).length, r.path).toBeGreaterThan(0);
  });

  it("documents /sdk/flags' ETag and its 304 for a matching If-None-Match, as the server answers", async () => {
    const op: any = (openApiDocument() as any).paths['/sdk/flags'].get;
    expect(op.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'If-None-Match', in: 'header' })]));
    expect(op.responses['200'].headers).toHaveProperty('ETag');
    expect(op.responses['304'].headers).toHaveProperty('ETag');
    const first = await ts.api('GET', '/sdk/flags', { headers: { authorization: `Bearer ${sdkKey}` } });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"\d+"$/);
    const again = await ts.api('GET', '/sdk/flags', { headers: { authorization: `Bearer ${sdkKey}`, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
  });

  it('gives every JSON answer a schema, and lists the media type of every other answer', () => {
    const doc: any = openApiDocument();
    for (const r of routeDocs) {
      const ok = doc.paths[openApiPath(r.path)][r.method].responses[String(r.status ?? 200)];
      const types = Object.keys(ok.content);
      expect(types.length, `${r.method} ${r.path}`).toBeGreaterThan(0);
      if (types.includes('application/json')) expect(r.response, `${r.method} ${r.path} has a response schema`).toBeDefined();
      else expect(r.response, `${r.method} ${r.path}`).toBeUndefined();
      for (const [type, media] of Object.entries<any>(ok.content)) expect(Object.keys(media.schema).length, `${r.method} ${r.path} ${type}`).toBeGreaterThan(0);
    }
    const types = (method: string, path: string) => Object.keys(doc.paths[path][method].responses['200'].content);
    expect(types('get', '/api/audit/export')).toEqual(['application/x-ndjson', 'text/csv']);
    expect(types('get', '/ofrep/v1/events')).toEqual(['text/event-stream']);
    expect(types('get', '/metrics')).toEqual(['text/plain']);
  });

  it('answers the audit export, as CSV and as JSON lines, with a media type the document lists', async () => {
    const doc: any = openApiDocument();
    const listed = Object.keys(doc.paths['/api/audit/export'].get.responses['200'].content);
    for (const format of ['csv', 'jsonl']) {
      const res = await ts.api('GET', `/api/audit/export?format=${format}`, { as: 'viewer' });
      expect(res.status).toBe(200);
      expect(listed).toContain(res.headers.get('content-type')!.split(';')[0]);
    }
  });

  it('has one JsonValue component for the recursive JSON value, referred to everywhere instead of inlined', () => {
    const doc: any = openApiDocument();
    const text = JSON.stringify(doc);
    // The recursive value reads `anyOf: [string, number, boolean, null, array of itself, object of itself]`.
    const recursive = /\{"type":"array","items":\{"\$ref":"#\/components\/schemas\/([^"]+)"\}\},\{"type":"object","propertyNames"/g;
    expect([...new Set([...text.matchAll(recursive)].map((m) => m[1]))]).toEqual(['JsonValue']);
    expect(text.match(recursive), 'the recursive value is written once').toHaveLength(1);
    expect(doc.components.schemas.FlagView.properties.on).toEqual({ $ref: '#/components/schemas/JsonValue' });
    expect(doc.paths['/api/flags'].post.requestBody.content['application/json'].schema.properties.on).toMatchObject({ $ref: '#/components/schemas/JsonValue' });
    expect(doc.components.schemas.FlagState.properties.off).toEqual({ $ref: '#/components/schemas/JsonValue' });
    for (const name of Object.keys(doc.components.schemas)) expect(name, 'no per-operation copy of a schema').not.toMatch(/__schema\d+$/);
  });

  it('describes every error body of the REST API by one ApiError schema through $ref, and OFREP refusals in OFREP\'s terms', () => {
    const doc: any = openApiDocument();
    expect(doc.components.responses.Error.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ApiError' });
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        expect(op.responses['5XX'], `${method} ${path}`).toEqual({ $ref: '#/components/responses/Error' });
        if (path.startsWith('/ofrep/')) {
          expect(op.responses['4XX'].content['application/json'].schema, `${method} ${path}`).toEqual({ $ref: '#/components/schemas/OfrepError' });
          // A refused credential gets no body; only a secure-mode client key's refused context carries OFREP's error.
          const body401 = op.responses['401'].content?.['application/json']?.schema;
          if (body401 !== undefined) expect(body401, `${method} ${path}`).toEqual({ $ref: '#/components/schemas/OfrepError' });
        } else {
          expect(op.responses['4XX'], `${method} ${path}`).toEqual({ $ref: '#/components/responses/Error' });
        }
      }
    }
  });

  it('declares bearer tokens and the X-API-Key header as security schemes, each on the routes that take it', async () => {
    const doc: any = openApiDocument();
    expect(doc.components.securitySchemes.sdkApiKey).toEqual(expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }));
    expect(doc.components.securitySchemes.userToken).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    const schemes = (method: string, path: string) => doc.paths[path][method].security.flatMap((s: object) => Object.keys(s)).sort();
    expect(schemes('post', '/ofrep/v1/evaluate/flags')).toEqual(['sdkApiKey', 'sdkKey']);
    expect(schemes('post', '/ofrep/v1/evaluate/flags/{key}')).toEqual(['sdkApiKey', 'sdkKey']);
    expect(schemes('get', '/ofrep/v1/events')).toEqual(['eventStreamToken']);
    expect(schemes('get', '/sdk/flags')).toEqual(['sdkKey']);
    expect(schemes('get', '/metrics')).toEqual(['metricsToken', 'userToken']);
    expect(schemes('post', '/api/flags/{key}/kill')).toEqual(['userToken']);
    expect(schemes('get', '/healthz')).toEqual([]);
    // As the server answers: X-API-Key is an SDK key on OFREP, and nowhere else.
    const viaHeader = await ts.api('POST', '/ofrep/v1/evaluate/flags', { body: {}, headers: { 'x-api-key': sdkKey } });
    expect(viaHeader.status).toBe(200);
    expect((await ts.api('GET', '/sdk/flags', { headers: { 'x-api-key': sdkKey } })).status).toBe(401);
  });

  it('documents the answer /ofrep/v1/events gives an unknown token: 401 with no body', async () => {
    const doc: any = openApiDocument();
    expect(doc.paths['/ofrep/v1/events'].get.responses['401'].content).toBeUndefined();
    const res = await ts.api('GET', '/ofrep/v1/events?token=not-a-token');
    expect(res.status).toBe(401);
    expect(res.text).toBe('');
    expect(res.headers.get('content-type')).toBeNull();
  });

  it('describes each success answer from its schema, never in prose that can drift', () => {
    const doc: any = openApiDocument();
    const describer = new SchemaComponents();
    for (const r of routeDocs) {
      expect(r, `${r.method} ${r.path}`).not.toHaveProperty('returns');
      const ok = doc.paths[openApiPath(r.path)][r.method].responses[String(r.status ?? 200)];
      const schema = ok.content['application/json']?.schema;
      expect(ok.description, `${r.method} ${r.path}`).toBe(schema ? describer.describe(schema) : r.summary);
    }
    const kill = doc.paths['/api/kill'].post.responses['200'];
    expect(kill.description).toBe('`{killId, killed, alreadyKilled, propagation?, environments?}`');
    const propagation = doc.components.schemas.Propagation;
    expect(Object.keys(propagation.properties)).toEqual(expect.arrayContaining(['medianMs', 'replicas', 'ofrep']));
  });

  it('answers an unknown flag with the one error body', async () => {
    const res = await ts.api('GET', '/api/flags/no-such-flag', { as: 'viewer' });
    expect(res.status).toBe(404);
    expect(errorBodySchema.safeParse(res.body).error?.issues).toBeUndefined();
  });
});
