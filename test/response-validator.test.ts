import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseValidator } from '../server/http/response-validator.js';
import { createLogger } from '../server/log.js';

/** A small document: one JSON answer, one answer with no body, one stream, the one error body. */
const doc = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {
    '/things/{key}': {
      get: {
        responses: {
          '200': { description: 'a thing', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
          '304': { description: 'not modified' },
          '4XX': { $ref: '#/components/responses/Error' },
        },
      },
    },
    '/things/special': {
      get: { responses: { '200': { description: 'a literal path wins over a template', content: { 'application/json': { schema: { const: 'special' } } } } } },
    },
    '/stream': { get: { responses: { '200': { description: 'events', content: { 'text/event-stream': { schema: { type: 'string' } } } } } } },
  },
  components: {
    schemas: {
      Thing: { type: 'object', properties: { key: { type: 'string' }, n: { type: 'integer' } }, required: ['key', 'n'], additionalProperties: false },
      ApiError: { type: 'object', properties: { error: { type: 'object' } }, required: ['error'] },
    },
    responses: { Error: { description: 'the error body', content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } } } },
  },
};

describe('the response validator (SWITCHYARD_VALIDATE_RESPONSES=1)', () => {
  let server: http.Server;
  let url: string;
  const logs: string[] = [];

  beforeAll(async () => {
    const app = express();
    const log = createLogger('info', { write: (line: string) => void logs.push(line) });
    app.use(responseValidator(() => doc, log, ''));
    app.get('/things/special', (_req, res) => void res.json('special'));
    app.get('/things/:key', (req, res) => {
      const k = req.params.key;
      if (k === 'good') res.json({ key: 'good', n: 1 });
      else if (k === 'extra') res.json({ key: 'extra', n: 1, secret: 'x' });
      else if (k === 'missing') res.json({ key: 'missing' });
      else if (k === 'same') res.status(304).end();
      else if (k === 'teapot') res.status(418).type('text/plain').send('short and stout');
      else if (k === 'created') res.status(201).json({ key: 'created', n: 1 });
      else res.status(404).json({ error: { code: 'not_found', message: 'no' } });
    });
    app.get('/stream', (req, res) => {
      res.setHeader('Content-Type', req.query.as === 'json' ? 'application/json' : 'text/event-stream');
      res.write('data: 1\n\n');
      res.end();
    });
    app.get('/elsewhere', (_req, res) => void res.type('text/html').send('<p>not in the document</p>'));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = async (p: string) => {
    const res = await fetch(url + p);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  it('lets an answer that matches the document through unchanged', async () => {
    expect(await get('/things/good')).toMatchObject({ status: 200, text: '{"key":"good","n":1}' });
    expect(await get('/things/nope')).toMatchObject({ status: 404, text: '{"error":{"code":"not_found","message":"no"}}' });
    expect((await get('/things/same')).status).toBe(304);
    expect(await get('/things/special')).toMatchObject({ status: 200, text: '"special"' });
  });

  it('replaces a JSON body that breaks its schema with a 500 naming what was wrong', async () => {
    const extra = await get('/things/extra');
    expect(extra.status).toBe(500);
    expect(JSON.parse(extra.text).error).toMatchObject({ code: 'response_invalid', message: expect.stringContaining('additional properties') });
    expect(extra.text).not.toContain('secret');
    const missing = await get('/things/missing');
    expect(missing.status).toBe(500);
    expect(JSON.parse(missing.text).error.message).toContain("required property 'n'");
    expect(logs.some((l) => l.includes('response does not match the OpenAPI document'))).toBe(true);
  });

  it('refuses a status the operation does not list, and a content type its status does not list', async () => {
    const created = await get('/things/created');
    expect(created.status).toBe(500);
    expect(JSON.parse(created.text).error.message).toContain('answered 201, which the document does not list');
    const teapot = await get('/things/teapot');
    expect(teapot.status).toBe(500);
    expect(JSON.parse(teapot.text).error.message).toContain('answered text/plain; the document lists application/json');
  });

  it('cuts off a stream whose content type the document does not list, and passes one it does', async () => {
    expect(await get('/stream')).toMatchObject({ status: 200, text: 'data: 1\n\n' });
    await expect(get('/stream?as=json')).rejects.toThrow();
  });

  it('leaves alone what the document does not describe', async () => {
    expect(await get('/elsewhere')).toMatchObject({ status: 200, text: '<p>not in the document</p>' });
  });

  it('is on in every test run, so every answer the suites receive is held to the document', () => {
    expect(process.env.SWITCHYARD_VALIDATE_RESPONSES).toBe('1');
    expect(process.env.SWITCHYARD_RESPONSE_PROBLEMS).toMatch(/switchyard-response-problems-\d+\.jsonl$/);
  });
});
