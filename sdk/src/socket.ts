/**
 * How the connection makes and ends its sockets outside a browser bundle. A browser bundle gets
 * socket-browser.ts instead (the `browser` field of sdk/package.json, which esbuild, Vite,
 * webpack and Rollup honour): the global WebSocket only, so none of the Node paths below ship
 * to browsers. Both files export the same three names with the same types.
 */
import type { WebSocketConstructor, WebSocketLike } from './client-types.js';
import type { ConnectionOptions } from './connection.js';
import { SDK_SUBPROTOCOL } from './protocol.js';

/**
 * A function that opens a socket to a stream URL, and `true` when it is a global WebSocket (a
 * browser's, or Node 22's): the key then travels as a subprotocol, since such a socket cannot
 * set headers, and a refused upgrade is diagnosed over HTTP. Otherwise `opts.WebSocket` or `ws`
 * (loaded on first use: Node 20 has no global WebSocket) with the key in a header, and frames
 * over `max` bytes refused by `ws` before they are read.
 */
export async function socketMaker(opts: ConnectionOptions, max: number): Promise<[(url: string) => WebSocketLike, boolean]> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!opts.WebSocket && global) return [(url) => new global(url, [SDK_SUBPROTOCOL, 'sdk-key.' + opts.sdkKey]), true];
  const WS = opts.WebSocket ?? (await loadWs());
  return [(url) => new WS(url, [SDK_SUBPROTOCOL], { headers: { authorization: 'Bearer ' + opts.sdkKey }, maxPayload: max }), false];
}

/** `ws`, imported through a parameter so that no bundler resolves or bundles it. */
const loadWs = (name = 'ws'): Promise<WebSocketConstructor> => import(name).then((m: { default: WebSocketConstructor }) => m.default);

/**
 * What a socket's error event says: 1 the upgrade was refused (`ws`: "Unexpected server
 * response: 401"), 2 a frame was over maxPayload (`ws`: "Max payload size exceeded"), else 0.
 */
export function errorKind(ev: { message?: string; error?: { message?: string } } | undefined): number {
  const msg = String(ev?.message ?? ev?.error?.message);
  return /\b40[13]\b/.test(msg) ? 1 : /payload/.test(msg) ? 2 : 0;
}

/** Closes a socket at once: `ws`'s terminate() when it has one. */
export function kill(sock: WebSocketLike): void {
  if (sock.terminate) sock.terminate();
  else sock.close();
}
