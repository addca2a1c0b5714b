/**
 * The admin stream: flag changes, audit entries and propagation figures pushed by the server
 * over `/api/stream` (subprotocols `switchyard.admin.v1` + `bearer.<jwt>`, never a token in the
 * URL). Reconnects with backoff (1 s doubling to 30 s, with jitter); when the socket drops, the
 * server is probed so the offline banner tells the truth.
 */
import { connection } from './connection.js';
import { currentSession } from './session.js';
import { ADMIN_SUBPROTOCOL, type AdminMessage } from '@switchyard-flags/sdk/protocol';
import type { AuditEntry, FlagView } from './types.js';

export type StreamMessage = AdminMessage<FlagView, AuditEntry>;

class AdminStream extends EventTarget {
  private ws: WebSocket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private delay = 1000;
  private healthyTimer: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  constructor() {
    super();
    connection.addEventListener('online', () => {
      if (this.running && !this.ws) this.connect();
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.healthyTimer);
    const ws = this.ws;
    this.ws = undefined;
    ws?.close(1000, 'signed out');
    connection.setStream('closed');
  }

  private connect(): void {
    clearTimeout(this.timer);
    const session = currentSession();
    const token = session?.token;
    if (!this.running || !session || this.ws) return;
    const url = new URL('/api/stream', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    connection.setStream('connecting');
    let opened = false;
    let ws: WebSocket;
    try {
      // A session of the identity provider goes by its cookie; a pasted token as a subprotocol.
      ws = new WebSocket(url, token ? [ADMIN_SUBPROTOCOL, `bearer.${token}`] : [ADMIN_SUBPROTOCOL]);
    } catch {
      this.retry(false);
      return;
    }
    this.ws = ws;
    ws.addEventListener('open', () => {
      opened = true;
      connection.setStream('live');
      connection.reachable();
      // Reset the backoff only after a minute of health, so a flapping server is not hammered.
      this.healthyTimer = setTimeout(() => (this.delay = 1000), 60_000);
    });
    ws.addEventListener('message', (ev) => {
      let msg: StreamMessage;
      try {
        msg = JSON.parse(String(ev.data)) as StreamMessage;
      } catch {
        return;
      }
      if (msg && typeof msg.type === 'string') this.dispatchEvent(new CustomEvent<StreamMessage>('message', { detail: msg }));
    });
    ws.addEventListener('close', () => {
      clearTimeout(this.healthyTimer);
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.retry(opened);
    });
  }

  private retry(wasOpen: boolean): void {
    if (!this.running) return;
    void connection.check().then((up) => {
      // Reachable but no stream (e.g. an older server): keep working by refreshing after actions.
      connection.setStream(up ? (wasOpen ? 'connecting' : 'unavailable') : 'connecting');
      if (wasOpen && up) this.dispatchEvent(new Event('resync'));
    });
    const jitter = 0.5 + Math.random() * 0.5;
    this.timer = setTimeout(() => this.connect(), this.delay * jitter);
    this.delay = Math.min(this.delay * 2, 30_000);
  }
}

export const stream = new AdminStream();

/** Subscribes to stream messages; returns the unsubscribe function. */
export function onStream(handler: (msg: StreamMessage) => void): () => void {
  const l = (e: Event) => handler((e as CustomEvent<StreamMessage>).detail);
  stream.addEventListener('message', l);
  return () => stream.removeEventListener('message', l);
}

/**
 * Calls `handler` whenever the views should reload from the server: the connection came back,
 * the stream reconnected after a drop, or (without a stream) the periodic poll ticked.
 */
export function onResync(handler: () => void): () => void {
  const l = () => handler();
  stream.addEventListener('resync', l);
  connection.addEventListener('online', l);
  return () => {
    stream.removeEventListener('resync', l);
    connection.removeEventListener('online', l);
  };
}

/** Without a live stream, views refresh on this interval so others' changes still appear. */
export function startPolling(everyMs = 15_000): () => void {
  const t = setInterval(() => {
    if (connection.stream !== 'live' && !connection.offline && !document.hidden) stream.dispatchEvent(new Event('resync'));
  }, everyMs);
  return () => clearInterval(t);
}
