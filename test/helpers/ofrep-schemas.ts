import { z } from 'zod';

/**
 * The OFREP wire shapes, written here (not imported from the server) from the protocol's own
 * documents in github.com/open-feature/protocol: `service/openapi.yaml` (the stored copy read for
 * this test names `info.version: 0.1.0`; the issue cites v0.3.0, whose evaluation shapes are the
 * same) and `service/adrs/0008-sse-for-bulk-evaluation-changes.md` (`eventStreams`, the
 * `refetchEvaluation` event). Deliberately strict where the document is.
 */
export const OFREP_DOCUMENT = 'open-feature/protocol service/openapi.yaml (info.version 0.1.0 as stored; v0.3.0 cited) + ADR-0008';

const key = z.string();
const errorDetails = z.string();
/** `evaluationSuccess.metadata`: values are boolean, string or number. */
const metadata = z.record(z.string(), z.union([z.boolean(), z.string(), z.number()]));
/** The value is one of booleanFlag, stringFlag, integerFlag, floatFlag, objectFlag. */
const value = z.union([z.boolean(), z.string(), z.number(), z.record(z.string(), z.unknown())]);

export const evaluationSuccess = z.object({
  key,
  reason: z.enum(['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'UNKNOWN']),
  variant: z.string().optional(),
  metadata: metadata.optional(),
  value,
});
/** `serverEvaluationSuccess`: the single-flag 200 may say `cacheable`. */
export const serverEvaluationSuccess = evaluationSuccess.extend({ cacheable: z.boolean().optional() });
export const evaluationFailure = z.object({
  key,
  errorCode: z.enum(['PARSE_ERROR', 'TARGETING_KEY_MISSING', 'INVALID_CONTEXT', 'GENERAL']),
  errorDetails: errorDetails.optional(),
});
export const flagNotFound = z.object({ key, errorCode: z.literal('FLAG_NOT_FOUND'), errorDetails: errorDetails.optional() });

/** ADR-0008 `eventStream`: `type` and `url` required, `inactivityDelaySec` an integer >= 1. */
export const eventStream = z.object({ type: z.string(), url: z.string().url(), inactivityDelaySec: z.number().int().min(1).optional() });

export const bulkEvaluationSuccess = z.object({
  flags: z.array(z.union([evaluationSuccess, evaluationFailure, flagNotFound])),
  eventStreams: z.array(eventStream).optional(),
  metadata: metadata.optional(),
});
export const bulkEvaluationFailure = z.object({ errorCode: z.string(), errorDetails: z.string().optional() });

/** ADR-0008's event data: `type` required, `etag` and `lastModified` optional. */
export const refetchEvent = z.object({ type: z.literal('refetchEvaluation'), etag: z.string().optional(), lastModified: z.union([z.number().int(), z.string()]).optional() });
