import { Router } from 'express';
import { openApiDocument } from './openapi-document.js';

/** `GET /openapi.json` (under /api, before authentication): the document is public, it reveals nothing secret. */
export function openApiRoutes(): Router {
  const r = Router();
  r.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  return r;
}
