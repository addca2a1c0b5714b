import { routeFor, type Route } from '../http/route.js';
import { openApiDocument } from './openapi-document.js';

const route = routeFor<{ routes: readonly Route<never>[] }>('openapi');

/** `GET /api/openapi.json` (before authentication): the document is public, it reveals nothing secret. */
export const openApiRoutes = [
  route({
    method: 'get', path: '/api/openapi.json', summary: 'This document (public: it documents, it reveals nothing)',
    access: { public: true }, returns: 'the OpenAPI 3.1 document',
    handler: (_input, { routes }) => openApiDocument(routes),
  }),
];
