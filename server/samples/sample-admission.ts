import type { RequestHandler } from 'express';
import { Unavailable } from '../errors.js';

/** Metric batches one process handles at once unless INGEST_MAX_IN_FLIGHT says otherwise. */
export const DEFAULT_INGEST_IN_FLIGHT = 8;

/**
 * Admission control for metric batches, after authentication and the body parser: at most `max`
 * batches are validated, stored and judged at once by this process; one more is answered at once
 * with 503 `ingest_busy` and `Retry-After: 1`, and nothing of it is stored.
 *
 * Why: ingestion runs on the event loop every request shares, and a kill's request takes turns
 * with everything in flight at each of its awaits; with at most `max` batches being processed it
 * waits for that many (docs/performance.md §17). Counted once the body has arrived, never
 * before: a reporter that sends its headers and half a body, then hangs, must not hold a slot
 * (twenty of them held every slot until REQUEST_TIMEOUT, and no batch was stored). A reporter
 * retries after a second; the samples/s the process sustains do not change, only how much work
 * queues on it.
 */
export function ingestAdmission(max: number, onRefused?: () => void): RequestHandler {
  let inFlight = 0;
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    if (inFlight >= max) {
      onRefused?.();
      // The unread body is discarded by Node with the response; the connection stays usable.
      return next(
        new Unavailable(
          `this server is already handling ${max} metric batches (INGEST_MAX_IN_FLIGHT); nothing of this one was stored: retry after 1 s`,
          1,
          'ingest_busy',
          { maxInFlight: max, retryAfterSeconds: 1 },
        ),
      );
    }
    inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight--;
    };
    res.once('finish', release);
    res.once('close', release);
    next();
  };
}
