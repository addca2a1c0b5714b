import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { bearer } from '../auth/auth-middleware.js';
import type { AppError } from '../errors.js';

/** Offered subprotocols, e.g. `switchyard.v1, sdk-key.sy_sdk_...`. */
function protocolsOf(req: http.IncomingMessage): string[] {
  const h = req.headers['sec-websocket-protocol'];
  return typeof h === 'string' ? h.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

export function credential(req: http.IncomingMessage, prefix: string): string | undefined {
  return bearer(req.headers.authorization) ?? protocolsOf(req).find((p) => p.startsWith(prefix))?.slice(prefix.length);
}

/** No Origin header means a non-browser client; a browser must come from the same origin or the allowlist. */
export function originAllowed(req: http.IncomingMessage, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  return allowed.includes(origin) || allowed.includes('*') || origin === `http://${host}` || origin === `https://${host}`;
}

export function reject(socket: Duplex, err: AppError): void {
  const body = JSON.stringify({ error: { code: err.code, message: err.message } });
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' }[err.status] ?? 'Error';
  const extra = Object.entries(err.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${err.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
  );
}
