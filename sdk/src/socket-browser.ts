/**
 * socket.ts for browser bundles (sdk/package.json's `browser` field maps one to the other): the
 * global WebSocket with the key as a subprotocol (a browser cannot set headers; never in the
 * URL). A browser's socket says nothing about why it failed (diagnose() in connection.ts asks
 * over HTTP) and has only close().
 */
import type { WebSocketConstructor, WebSocketLike } from './client-types.js';
import type { ConnectionOptions } from './connection.js';
import { SDK_SUBPROTOCOL } from './protocol.js';

export const socketMaker = async (opts: ConnectionOptions, _max: number): Promise<[(url: string) => WebSocketLike, boolean]> => [
  (url) => new (opts.WebSocket ?? (WebSocket as unknown as WebSocketConstructor))(url, [SDK_SUBPROTOCOL, 'sdk-key.' + opts.sdkKey]),
  true,
];

export const errorKind = (_ev: unknown): number => 0;

export const kill = (sock: WebSocketLike): void => sock.close();
