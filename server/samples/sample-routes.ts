import express from 'express';
import { z } from 'zod';
import { routeFor } from '../http/route.js';
import { batchSchema, metricsQuerySchema, sampleSchema } from './sample-schemas.js';
import type { SampleService } from './sample-service.js';
import { ingestResultSchema, metricsViewSchema } from './sample-responses.js';
import type { EnvironmentService } from '../environments/environment-service.js';

/**
 * A larger body limit for metric batches (1000 samples do not fit in the API's 64 KiB);
 * mounted on `/metrics` before the API's own JSON parser, which then skips the parsed body.
 */
export const sampleBodyParser = express.json({ limit: '512kb', strict: true });

const isBatch = (body: unknown) => typeof body === 'object' && body !== null && 'samples' in body;

const route = routeFor<{ samples: SampleService; environments: EnvironmentService }>('metric samples');

/** Metric samples: what reporters send, and each flag's series. */
export const sampleRoutes = [
  route({
    method: 'post', path: '/api/metrics', summary: 'Report a metric sample, or a batch of up to 1000 `{samples: [...]}`',
    description:
      'A sample is one observation `{value}` or an aggregate `{count, mean, stddev}` / `{count, sum, sumSq}` (stddev with the n − 1 denominator), per cohort `treatment` (default) or `control`. After each batch the guardrails judge the stage evidence; a breach pauses or kills the flag (audited as the system); a `tripOnAny` check trips on one breaking sample. Sign-offs whose checks moved out of pass lapse. At most METRIC_NAMES_PER_FLAG distinct names per flag (400 too_many_metric_names), SAMPLES_RATE_LIMIT samples and SAMPLES_OBSERVATION_LIMIT observations (the counts) per second per token (429 metrics_rate_limited, Retry-After). Every value, mean and spread is within ±1e12 or the range the plan declares for the metric, and a count within MAX_SAMPLE_COUNT (400 sample_out_of_bounds naming the field and the bound); a token minted with `--flags` reports for those flags only (403 flag_out_of_scope).',
    access: { permission: 'reportMetrics' }, body: z.union([sampleSchema, batchSchema]), chooseBody: (raw) => (isBatch(raw) ? batchSchema : sampleSchema),
    status: 201, response: ingestResultSchema,
    example: { body: { samples: [{ flag: 'support-draft', metric: 'eval_score', count: 120, mean: 0.84, stddev: 0.05 }, { flag: 'support-draft', metric: 'error_rate', value: 0.002 }] } },
    handler: ({ body, actor }, { samples }) => {
      const batch = 'samples' in body;
      return samples.ingest(actor, batch ? body.samples : [body], batch);
    },
  }),
  route({
    method: 'get', path: '/api/flags/:key/metrics', summary: "The flag's metric series (per metric and cohort)",
    access: { permission: 'read' }, query: metricsQuerySchema, response: metricsViewSchema,
    handler: async ({ query: q, params }, { samples, environments }) => {
      const names = q.metric === undefined ? undefined : Array.isArray(q.metric) ? q.metric : [q.metric];
      const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      return samples.series(params.key!, { metrics: names, since: q.since, limit: num(q.limit), after: q.after, pageSize: num(q.pageSize) }, await environments.scope(params.env));
    },
  }),
];
