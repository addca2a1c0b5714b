import { z } from 'zod';

/** The one error body every 4xx/5xx carries (server/errors.ts `errorHandler`). */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/**
 * `Propagation` (sdk/src/protocol.ts): how far a flag's latest change has reached connected
 * SDKs. Here because the kill switch answers with it and the push layer computes it.
 */
export const propagationSchema = z.strictObject({
  key: z.string(),
  stateVersion: z.number().int(),
  connected: z.number().int(),
  applied: z.number().int(),
  pending: z.number().int(),
  slowestMs: z.number().nullable(),
  medianMs: z.number().nullable().optional(),
  unresponsive: z.number().int().optional().describe('SDKs closed in the last 5 minutes for not acknowledging within ACK_TIMEOUT_MS, not counted in connected'),
  replicas: z
    .array(
      z.strictObject({
        name: z.string(),
        connected: z.number().int(),
        acknowledged: z.number().int(),
        pending: z.number().int(),
        status: z.enum(['live', 'gone']),
        goneForMs: z.number().nullable(),
      }),
    )
    .optional()
    .describe("In a cluster: each replica's figures (the totals count the live ones; a gone replica shows the SDK count it last reported)"),
  ofrep: z.strictObject({
    streams: z.number().int(),
    fetchedSince: z.number().int(),
    lastFetchedVersion: z.number().int().nullable(),
    lastFetchedAt: z.string().nullable(),
  }).optional(),
}).meta({ id: 'Propagation' });
