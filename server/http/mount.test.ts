import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import express from 'express';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorOf, requireRole } from '../auth/auth-middleware.js';
import type { Role } from '../auth/roles.js';
import { errorHandler } from '../errors.js';
import { createLogger } from '../log.js';
import { errorBodySchema } from './schemas.js';
import { mount } from './mount.js';
import { routeFor } from './route.js';

interface Deps {
  calls: unknown[];
  optional?: true;
}
const route = routeFor<Deps>('test');

const routes = [
  route({
    method: 'post', path: '/api/things/:key', summary: 'Make a thing', access: { permission: 'editFlags' },
    body: z.strictObject({ size: z.number().int().min(1) }), query: z.strictObject({ dry: z.enum(['true', 'false']).default('false') }),
    status: 201,
    handler: ({ body, query, params, actor }, deps) => {
      deps.calls.push(body);
      return { key: params.key, size: body.size, dry: query.dry, by: actor.sub };
    },
  }),
  route({
    method: 'get', path: '/api/things/:key/text', summary: 'The thing as text', access: { permission: 'read' }, produces: 'text/plain',
    handler: ({ params, res }) => {
      res.type('text/plain').send(`thing ${params.key}`);
    },
  }),
  route({
    method: 'get', path: '/api/optional', summary: 'Only when configured', access: { public: true }, when: (d) => d.optional === true,
    handler: () => ({ ok: true }),
  }),
];

let server: http.Server;
let base: string;
const deps: Deps = { calls: [] };
const labels: string[] = [];

beforeAll(async () => {
  const app = express();
  app.use((req, res, next) => {
    const role = req.headers['x-role'] as Role | undefined;
    if (role) req.principal = { kind: 'user', sub: `${role}@test`, role };
    res.once('finish', () => labels.push(`${req.method} ${req.originalUrl.split("?")[0]} ${res.statusCode} ${String(res.locals.route ?? 'unmatched')}`));
    next();
  });
  const api = express.Router();
  api.use(express.json());
  mount(api, routes, deps, { requireRole, actorOf }, '/api');
  app.use('/api', api);
  app.use(errorHandler(createLogger('silent')));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const post = (path: string, body: unknown, role?: Role) =>
  fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(role ? { 'x-role': role } : {}) }, body: JSON.stringify(body) });

describe('mount()', () => {
  it("gives the handler the body and query parsed by the route's schemas and sends its result with the route's status", async () => {
    const res = await post('/api/things/blue?dry=true', { size: 3 }, 'engineer');
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ key: 'blue', size: 3, dry: 'true', by: 'engineer@test' });
  });

  it('answers a bad body with a 400 naming the field, in the one error body, and never runs the handler', async () => {
    const before = deps.calls.length;
    const res = await post('/api/things/blue', { size: 0 }, 'engineer');
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(errorBodySchema.parse(body).error.code).toBe('invalid_body');
    expect(JSON.stringify(body.error.details)).toContain('size');
    expect(deps.calls.length).toBe(before);
  });

  it("refuses a role without the route's permission with a 403 before the body is read", async () => {
    const before = deps.calls.length;
    const res = await post('/api/things/blue', { size: 'not even a number' }, 'viewer');
    expect(res.status).toBe(403);
    expect(errorBodySchema.safeParse(await res.json()).success).toBe(true);
    expect(deps.calls.length).toBe(before);
  });

  it('leaves the response to a handler that writes it itself', async () => {
    const res = await fetch(`${base}/api/things/red/text`, { headers: { 'x-role': 'viewer' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toBe('thing red');
  });

  it('skips a route whose `when` does not hold for the deps', async () => {
    expect((await fetch(`${base}/api/optional`)).status).toBe(404);
  });

  it('labels every request on a route with its full path, refusals and bad input included', () => {
    expect(labels).toContain('POST /api/things/blue 201 /api/things/:key');
    expect(labels).toContain('POST /api/things/blue 400 /api/things/:key');
    expect(labels).toContain('POST /api/things/blue 403 /api/things/:key');
    expect(labels).toContain('GET /api/optional 404 unmatched');
  });

  it("types a handler's answer by its route's response schema: an answer that does not fit is a compile error", () => {
    const answer = z.strictObject({ n: z.number(), name: z.string().optional() });
    const fits = route({ method: 'get', path: '/api/n', summary: 'n', access: { public: true }, response: answer, handler: async () => ({ n: 1 }) });
    const wrongType = route({
      method: 'get', path: '/api/n', summary: 'n', access: { public: true }, response: answer,
      // @ts-expect-error: `n` is a number in the schema
      handler: () => ({ n: 'one' }),
    });
    const missing = route({
      method: 'get', path: '/api/n', summary: 'n', access: { public: true }, response: answer,
      // @ts-expect-error: `n` is required by the schema
      handler: () => ({ name: 'x' }),
    });
    const writesItself = route({ method: 'get', path: '/api/n', summary: 'n', access: { public: true }, response: answer, handler: ({ res }) => void res.status(304).end() });
    for (const r of [fits, wrongType, missing, writesItself]) expect(r.response).toBe(answer);
  });
});
