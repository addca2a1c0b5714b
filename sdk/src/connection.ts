/**
 * The client's connection to /sdk/stream: one socket at a time, the hello with the version held,
 * the heartbeat watchdog, reconnecting with backoff, and the acknowledgements. What the state
 * messages mean is the caller's (`Link`); this module only knows when a socket is healthy.
 */
import { backoffDelay } from './backoff.js';
import type { ClientOptions, WebSocketLike } from './client-types.js';
import { PROTOCOL_VERSION, type ChangesMessage, type ServerMessage, type SnapshotMessage } from './protocol.js';
import { errorKind, kill, socketMaker } from './socket.js';

export const SDK_NAME = 'switchyard-js/0.1.0';

/** What the connection feeds: the flag state (flag-state.ts) satisfies it. */
export interface Fed {
  /** The version held: sent in the hello and acknowledged after each state message. */
  readonly version: number;
  /** Applies a snapshot or changes: the keys that changed, or null for a gap (the connection resyncs). */
  receive(m: SnapshotMessage | ChangesMessage): string[] | null;
}

/** What the connection tells the client it serves. */
export interface Link {
  /** A state message was applied on a healthy socket; `changed`: the keys whose definition changed. */
  up(changed: string[]): void;
  /**
   * The socket is gone (`authFailed`: the server refused the key, or this page's origin, for the
   * `reason` given when known); a retry is scheduled unless closed.
   */
  down(authFailed: boolean, reason?: string): void;
  warn(what: string, detail?: unknown): void;
  /** Any message arrived (state, heartbeat, error): the server was heard from just now. */
  heard(): void;
}

export interface Connection {
  /** Opens a socket unless one is open, opening, or the connection is closed. */
  open(): Promise<void>;
  /** The socket, while it is open and has delivered a state message since it opened. */
  live(): WebSocketLike | undefined;
  /** Closes the socket and stops reconnecting; `down` is not called. */
  close(): void;
}

export type ConnectionOptions = Pick<ClientOptions, 'url' | 'sdkKey' | 'WebSocket' | 'heartbeatTimeoutMs' | 'random' | 'reconnect' | 'maxMessageBytes'>;

/** After the I/O already queued: `setImmediate` (Node), else a zero timeout (browsers). */
const soon: (fn: () => void) => unknown = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate ?? ((fn) => setTimeout(fn));

/** A connection that opens its first socket on `open()`. Log messages are short codes, listed in docs/sdk.md. */
export function createConnection(opts: ConnectionOptions, state: Fed, link: Link): Connection {
  let ws: WebSocketLike | undefined;
  let connecting = false;
  let closed = false;
  let attempt = 0;
  /** When the socket delivered its first state message (0: not yet): the backoff starts over after a healthy minute. */
  let healthySince = 0;
  let heartbeatMs = 15_000;
  let heard = 0;
  /** The socket an acknowledgement is scheduled on (one per socket, of the latest version). */
  let acking: WebSocketLike | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const rc = opts.reconnect ?? {};
  /** The longest message taken (8 MiB by default): a longer one is refused before it is parsed. */
  const max = opts.maxMessageBytes ?? 8388608;
  /** One URL or a list of replicas: a lost socket reconnects to the next one in the list. */
  const bases = ([] as string[]).concat(opts.url).map((u) => u.replace(/\/+$/, '') + '/sdk/');
  let at = 0;

  /** The heartbeat watchdog: one timer, re-armed only when it fires (a message just notes the time). */
  function arm(): void {
    clearTimeout(watchdog);
    const left = heard + (opts.heartbeatTimeoutMs ?? heartbeatMs * 2 + 1000) - Date.now();
    if (left > 0) watchdog = setTimeout(arm, left);
    else if (ws) {
      link.warn('no heartbeat');
      drop(ws, false);
    }
  }

  /** Detaches and closes a socket, then schedules the next attempt. */
  function drop(sock: WebSocketLike, authFailed: boolean, restart = false, reason?: string): void {
    if (sock !== ws) return;
    ws = undefined;
    clearTimeout(watchdog);
    sock.onopen = sock.onmessage = sock.onclose = null;
    sock.onerror = () => {}; // `ws` throws on an error event nobody listens to
    try {
      kill(sock);
    } catch {
      // already closed
    }
    if (closed) return;
    link.down(authFailed, reason);
    if (healthySince && Date.now() - healthySince >= (rc.resetAfterMs ?? 60_000)) attempt = 0;
    healthySince = 0;
    if (authFailed) attempt = 30;
    at = (at + 1) % bases.length;
    // Every close backs off, jittered. A draining server (1012, service restart) asks for another
    // replica: the first such wait is the default first step (0.5-1 s) whatever the configured
    // backoff; a server that keeps closing with 1012 gets the doubling like any other failure.
    retry = setTimeout(open, backoffDelay(attempt, opts.random, !attempt++ && restart ? {} : rc));
  }

  function onMessage(sock: WebSocketLike, data: unknown): void {
    const text = String(data);
    // A message this long is refused unparsed: the state held (last-known values) stays.
    if (text.length > max) return tooLarge(sock);
    const m = JSON.parse(text) as ServerMessage;
    heard = Date.now();
    link.heard();
    if (m.type !== 'snapshot' && m.type !== 'changes') {
      if (m.type === 'error') link.warn('server: ' + m.code, m.message);
      return; // and heartbeats
    }
    const changed = state.receive(m);
    if (!changed) return drop(sock, false); // a gap cannot be patched: resync from a fresh connection
    if (m.heartbeatMs) {
      heartbeatMs = m.heartbeatMs;
      arm();
    }
    healthySince ||= heard;
    link.up(changed);
    // The acknowledgement is written after the I/O already queued: the app sees the change first,
    // and a process holding many clients applies all of a broadcast before it writes the acks.
    if (acking !== sock) {
      acking = sock;
      soon(() => {
        acking = undefined;
        if (sock === ws) sock.send('{"type":"ack","version":' + state.version + '}');
      });
    }
  }

  function tooLarge(sock: WebSocketLike): void {
    link.warn('too large');
    drop(sock, false);
  }

  async function open(): Promise<void> {
    retry = undefined;
    if (closed || ws || connecting) return;
    connecting = true;
    const made = await socketMaker(opts, max).catch((err) => void link.warn('no WebSocket', err));
    connecting = false;
    if (closed || ws || !made) return;
    const isGlobal = made[1];
    const sock = made[0](bases[at]!.replace(/^http/, 'ws') + 'stream');
    ws = sock;
    let opened = false;
    sock.onopen = () => (opened = true) && sock.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, version: state.version, sdk: SDK_NAME }));
    sock.onmessage = (ev) => {
      try {
        onMessage(sock, ev.data);
      } catch (err) {
        link.warn('bad message', err);
        drop(sock, false);
      }
    };
    let failed = 0;
    sock.onerror = (ev) => {
      failed = errorKind(ev);
    };
    sock.onclose = (ev) => {
      // A browser cannot say why a socket never opened: ask over HTTP (diagnose.ts, loaded only now).
      if (isGlobal && !opened && ev.code === 1006)
        import('./diagnose.js')
          .then((d) => d.diagnose(bases[at] + 'flags', opts.sdkKey), () => undefined)
          .then((reason) => drop(sock, !!reason, false, reason));
      else if (failed > 1) tooLarge(sock);
      else drop(sock, failed > 0 || ev.code === 4401, ev.code === 1012);
    };
    heard = Date.now();
    arm();
  }

  return {
    open,
    live: () => (healthySince && ws?.readyState === 1 ? ws : undefined),
    close() {
      closed = true;
      clearTimeout(retry);
      if (ws) drop(ws, false);
    },
  };
}
