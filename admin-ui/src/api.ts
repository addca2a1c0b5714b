/**
 * The one way the UI talks to the REST API: bearer token from the session, JSON in and out,
 * the server's error body mapped to `ApiFailure`, and network failures reported as offline.
 */
import type { ApiError } from '@switchyard-flags/sdk/protocol';
import { connection } from './connection.js';
import { currentSession, sessionHeaders } from './session.js';

export interface FieldError {
  path: string;
  message: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** Field errors of a 400, as the server lists them (`stages.1.percent`). */
  get fields(): FieldError[] {
    return Array.isArray(this.details)
      ? (this.details as unknown[]).filter((d): d is FieldError => typeof (d as FieldError)?.path === 'string')
      : [];
  }
}

/** Fired on `window` when the server rejects the token, so the app can ask for a new one. */
export const UNAUTHORIZED_EVENT = 'sy-unauthorized';

async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = currentSession()?.token;
  if (token) headers.authorization = `Bearer ${token}`;
  Object.assign(headers, sessionHeaders(method)); // a session of the identity provider: its CSRF token on changes
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', signal });
  } catch (e) {
    // A read given up by its page (a newer one replaced it) says nothing about the server.
    if (signal?.aborted) throw e;
    connection.unreachable();
    throw new ApiFailure(0, 'offline', 'The server is unreachable. Nothing was changed; try again when it is back.');
  }
  connection.reachable();
  if (res.ok) return res;
  let parsed: Partial<ApiError> | undefined;
  try {
    parsed = (await res.json()) as ApiError;
  } catch {
    // not JSON
  }
  const e = parsed?.error;
  if (res.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  if (res.status >= 502 && !e) {
    connection.unreachable();
    throw new ApiFailure(0, 'offline', 'The server is unreachable. Nothing was changed; try again when it is back.');
  }
  throw new ApiFailure(res.status, e?.code ?? 'http_' + res.status, e?.message ?? `${method} ${path} failed with HTTP ${res.status}`, e?.details);
}

export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await send(method, path, body, signal);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** `signal`: the page's task gives the read up when a newer one replaces it. */
export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, undefined, signal);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);

/** Fetches a file with the bearer token and hands it to the browser as a download. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await send('GET', path);
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `encodeURIComponent` for a path segment. */
export const seg = encodeURIComponent;

/** A query string from the defined, non-empty values. */
export function query(q: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}
