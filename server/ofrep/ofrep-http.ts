import cors from 'cors';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { AppError, SecureModeRefused, ValidationError, badPath } from '../errors.js';

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
import type { Logger } from '../log.js';

/**
 * CORS for browser apps on other origins: the OFREP routes and `GET /sdk/flags`, for the origins
 * in ALLOWED_ORIGINS only (`*` allows any). Exposes `ETag`; allows `If-None-Match`,
 * `Authorization`, `X-API-Key` and `Content-Type`. Other origins get no CORS headers at all.
 */
export function crossOrigin(allowedOrigins: readonly string[]): RequestHandler {
  const any = allowedOrigins.includes('*');
  const policy = cors({
    origin: (origin, cb) => cb(null, origin !== undefined && (any || allowedOrigins.includes(origin)) ? origin : false),
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'If-None-Match', 'Last-Event-ID'],
    exposedHeaders: ['ETag', 'Retry-After'],
    maxAge: 600,
  });
  // helmet's `Cross-Origin-Resource-Policy: same-origin` would hide even a refusal from a page on
  // another site; these routes take an SDK key in a header (no cookies), so any site may read
  // that they exist: the SDK tells "your origin is not allowed" from "the server is down" by it.
  return (req, res, next) => {
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    policy(req, res, next);
  };
}

/** Paths the CORS policy covers. */
export const CROSS_ORIGIN_PATHS = ['/ofrep', '/sdk/flags'];

/** OFREP's `X-API-Key` is the same SDK key as `Authorization: Bearer`. */
const apiKeyAsBearer: RequestHandler = (req, _res, next) => {
  const apiKey = req.headers['x-api-key'];
  if (req.headers.authorization === undefined && typeof apiKey === 'string' && apiKey.length > 0) req.headers.authorization = `Bearer ${apiKey}`;
  next();
};

/** A body must be JSON (OFREP providers always send `application/json`). */
const jsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) next(new ValidationError('send the body as JSON with "Content-Type: application/json"', undefined, 'parse_error'));
  else next();
};

/** What runs before the OFREP routes: the API key header, and the JSON body (64 KiB). */
export function ofrepEdge(): RequestHandler[] {
  return [apiKeyAsBearer, jsonBody, express.json({ limit: '64kb', strict: true })];
}

/**
 * Errors on OFREP routes in the protocol's terms: 401 and 403 without a body, 429 with
 * `Retry-After` and no body, a bad request 400 `{errorCode, errorDetails}` (with the flag `key`
 * on the single-flag route). Anything else goes on to the server's one error handler.
 */
export function ofrepErrors(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const bp = err as { type?: string; status?: number; message?: string };
    const key = typeof req.params?.key === 'string' ? req.params.key : /^\/v1\/evaluate\/flags\/([^/]+)$/.exec(req.path)?.[1];
    const failure = (status: number, errorCode: string, errorDetails: string) => {
      res.status(status).json(key === undefined ? { errorCode, errorDetails } : { key: safeDecode(key), errorCode, errorDetails });
    };
    if (err instanceof URIError) return failure(400, 'PARSE_ERROR', badPath(req.originalUrl).message);
    if (err instanceof SecureModeRefused) {
      // A secure-mode refusal says what to send: an app developer sees it in the browser's console.
      log.info({ requestId: req.requestId, status: err.status, code: err.code }, 'ofrep: refused (secure mode)');
      return failure(err.status, 'GENERAL', err.message);
    }
    if (err instanceof AppError && (err.status === 401 || err.status === 403 || err.status === 429)) {
      for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
      if (err.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
      log.info({ requestId: req.requestId, status: err.status, code: err.code }, 'ofrep: refused');
      res.status(err.status).end();
      return;
    }
    if (bp?.type === 'entity.parse.failed') return failure(400, 'PARSE_ERROR', `the body is not valid JSON: ${bp.message ?? ''}`.trim());
    if (bp?.type === 'entity.too.large') return failure(400, 'PARSE_ERROR', 'the body is larger than 64 KiB');
    if (err instanceof ValidationError) {
      const details = Array.isArray(err.details) ? (err.details as Array<{ path: string; message: string }>) : [];
      const inContext = details.length > 0 && details.every((d) => d.path === 'context' || d.path.startsWith('context.'));
      if (inContext) return failure(400, 'INVALID_CONTEXT', `context must be an object of attributes: ${details[0]!.message}`);
      return failure(400, 'PARSE_ERROR', err.message);
    }
    if (err instanceof AppError && err.status < 500 && err.status !== 404) return failure(err.status, 'GENERAL', err.message);
    next(err);
  };
}
