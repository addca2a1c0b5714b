import express, { Router } from 'express';
import { actorOf, requireRole } from '../auth/auth-middleware.js';
import { parse } from '../validation.js';
import { batchSchema, metricsQuerySchema, sampleSchema } from './sample-schemas.js';
import type { SampleService } from './sample-service.js';

/**
 * A larger body limit for metric batches (1000 samples do not fit in the API's 64 KiB);
 * mounted on `/metrics` before the API's own JSON parser, which then skips the parsed body.
 */
export const sampleBodyParser = express.json({ limit: '512kb', strict: true });

export function sampleRoutes(samples: SampleService): Router {
  const r = Router();

  r.post('/metrics', requireRole('reportMetrics'), async (req, res) => {
    const body: unknown = req.body;
    const batch = typeof body === 'object' && body !== null && 'samples' in body;
    const input = batch ? parse(batchSchema, body).samples : [parse(sampleSchema, body)];
    res.status(201).json(await samples.ingest(actorOf(req), input, batch));
  });

  r.get('/flags/:key/metrics', requireRole('read'), async (req, res) => {
    const q = parse(metricsQuerySchema, req.query, 'query');
    const names = q.metric === undefined ? undefined : Array.isArray(q.metric) ? q.metric : [q.metric];
    const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    res.json(await samples.series(req.params.key as string, { metrics: names, since: q.since, limit: num(q.limit), after: q.after, pageSize: num(q.pageSize) }));
  });

  return r;
}
