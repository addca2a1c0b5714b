import { z } from 'zod';
import { routeFor, type Route } from '../http/route.js';
import { openApiDocument } from './openapi-document.js';

/** An OpenAPI 3.1 document, as far as its readers need to know from here. */
const documentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });

const route = routeFor<{ routes: readonly Route<never>[] }>('openapi');

/** `GET /api/openapi.json` (before authentication): the document is public, it reveals nothing secret. */
export const openApiRoutes = [
  route({
    method: 'get', path: '/api/openapi.json', summary: 'This document (public: it documents, it reveals nothing)',
    access: { public: true }, response: documentSchema,
    handler: (_input, { routes }) => openApiDocument(routes),
  }),
];
