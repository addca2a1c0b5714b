import type { ErrorRequestHandler } from 'express';
import type { ZodError } from 'zod';
import type { Logger } from './log.js';

/** An error a client can act on. Services throw these; one handler turns them into responses. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Response headers that belong to this error, e.g. Retry-After on a 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A configuration or start-up mistake an operator can fix (a bad variable, a secret file's mode, a
 * locked DATA_DIR): the CLI prints its message as one line and exits 1, never a stack.
 */
export class ConfigError extends Error {}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown, code = 'invalid_body') {
    super(400, code, message, details);
  }
}
export class Unauthorized extends AppError {
  constructor(message = 'a valid bearer token is required', code = 'unauthorized') {
    super(401, code, message);
  }
}
export class Forbidden extends AppError {
  constructor(message: string, details?: unknown, code = 'forbidden') {
    super(403, code, message, details);
  }
}
/** An OFREP context a secure-mode client key sent unsigned (401) or with a signature that does not match (403). */
export class SecureModeRefused extends AppError {
  constructor(status: 401 | 403, code: 'secure_hash_missing' | 'secure_hash_mismatch', message: string) {
    super(status, code, message);
  }
}
export class NotFound extends AppError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}
export class Conflict extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(409, code, message, details);
  }
}
export class VersionConflict extends Conflict {
  constructor(key: string, expected: number, actual: number) {
    super(
      'version_conflict',
      `flag "${key}" changed under you: you sent version ${expected}, it is now at version ${actual}; reload it and try again`,
      { expected, actual },
    );
  }
}
export class GateNotMet extends Conflict {
  constructor(message: string, gates: unknown) {
    super('gates_not_met', message, { gates });
  }
}
/** Seconds a 503 asks the caller to wait before retrying, when its error names no other. */
export const RETRY_AFTER_SECONDS = 2;

export class Unavailable extends AppError {
  constructor(message: string, retryAfterSeconds = RETRY_AFTER_SECONDS, code = 'unavailable', details?: unknown) {
    super(503, code, message, details, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/** 429: the caller sends more than its limit allows; `Retry-After` travels with the error. */
export class RateLimited extends AppError {
  constructor(code: string, message: string, retryAfterSeconds: number, details?: unknown) {
    super(429, code, message, details, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/** Zod issues as `{ path, message }`, paths dotted (`stages.1.percent`). */
export function zodDetails(err: ZodError): Array<{ path: string; message: string }> {
  return err.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(body)',
    message: i.message,
  }));
}

interface BodyParserError {
  type?: string;
  limit?: number;
  status?: number;
  expose?: boolean;
  message?: string;
}

/** Primary and extended result codes (better-sqlite3 reports e.g. SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT). */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY)(_[A-Z_]+)?$/;

/**
 * PostgreSQL unreachable or refusing for now: SQLSTATE classes 08 (connection), 53 (insufficient
 * resources: disk full, too many connections), 57P (shut down, restarting), 58 (I/O), plus
 * serialization failure, deadlock, lock timeout and a read-only (standby) server; the socket
 * errors and the pool's connect timeout of the `pg` driver.
 */
const PG_UNAVAILABLE = /^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[1-4]|58[0-9A-Z]{3}|40001|40P01|55P03|25006|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND)$/;
const PG_DRIVER_UNAVAILABLE = /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/;

/** The database is unavailable (SQLite busy/full/read-only, PostgreSQL down or overloaded): a 503, not a 500. Exported for the readiness probe. */
export function databaseUnavailable(err: unknown): string | undefined {
  const code = String((err as { code?: unknown })?.code ?? '');
  if (SQLITE_UNAVAILABLE.test(code) || PG_UNAVAILABLE.test(code)) return code;
  const message = err instanceof Error ? err.message : '';
  if (PG_DRIVER_UNAVAILABLE.test(message)) return 'connection';
  return undefined;
}

/** A path whose `%` escapes do not decode (`/api/flags/%ZZ`): the router's URIError, a client mistake. */
export function badPath(url: string): ValidationError {
  const shown = url.split('?')[0]!.slice(0, 200);
  return new ValidationError(`the path ${JSON.stringify(shown)} is not valid percent-encoding: encode "%" as %25 and non-ASCII characters as UTF-8 (encodeURIComponent)`, undefined, 'invalid_path');
}

/**
 * The one error handler: every error leaves as `{ error: { code, message, details? } }`, and
 * every 503 with Retry-After. `onDbUnavailable` hears each write the database refused (readiness).
 */
export function errorHandler(log: Logger, onDbUnavailable?: (code: string) => void): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let e: AppError;
    const bp = err as BodyParserError;
    if (err instanceof AppError) e = err;
    else if (bp?.type === 'entity.too.large') e = new AppError(413, 'payload_too_large', `request body is too large (limit ${Math.round((bp.limit ?? 65536) / 1024)} KiB)`);
    else if (bp?.type === 'entity.parse.failed') e = new ValidationError(`request body is not valid JSON: ${bp.message ?? ''}`.trim(), undefined, 'invalid_json');
    else if (bp?.type === 'encoding.unsupported' || bp?.type === 'charset.unsupported') e = new AppError(415, 'unsupported_media_type', bp.message ?? 'unsupported encoding');
    else if (err instanceof URIError) e = badPath(req.originalUrl);
    else if (typeof bp?.status === 'number' && bp.status >= 400 && bp.status < 500 && bp.expose) e = new AppError(bp.status, 'bad_request', bp.message ?? 'bad request');
    else if (databaseUnavailable(err) !== undefined) {
      log.error({ err, requestId: req.requestId }, 'database unavailable');
      onDbUnavailable?.(databaseUnavailable(err)!);
      e = new Unavailable('the database is unavailable (busy, locked, full or read-only); nothing was changed, try again');
    } else {
      log.error({ err, requestId: req.requestId }, 'unhandled error');
      e = new AppError(500, 'internal', 'internal error; nothing was changed');
    }
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(e.headers)) res.setHeader(name, value);
    if (e.status === 503 && !res.hasHeader('Retry-After')) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    // A refused caller's unread body is not waited for: the socket closes with the answer
    // (and is destroyed shortly after, since a client still "sending" keeps a half-open socket).
    if (e.status === 401 || e.status === 413 || e.status === 429) {
      res.setHeader('Connection', 'close');
      if (!req.complete) {
        res.once('finish', () => {
          const socket = req.socket;
          const t = setTimeout(() => socket.destroy(), 250);
          t.unref();
          socket.once('close', () => clearTimeout(t));
        });
      }
    }
    const body: { error: { code: string; message: string; details?: unknown } } = {
      error: { code: e.code, message: e.message },
    };
    if (e.details !== undefined) body.error.details = e.details;
    res.status(e.status).json(body);
  };
}
