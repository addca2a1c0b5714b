import crypto from 'node:crypto';
import type { Response } from 'express';
import { AuditAction } from '@switchyard-flags/sdk/api';
import type { ChangeBus } from '../changes.js';
import type { PushState } from '../push/push-state.js';
import { StreamBudget, type Release } from '../push/stream-budget.js';

/** What a provider is told to wait before it closes an idle (hidden-tab) stream (ADR-0008 `inactivityDelaySec`). */
export const INACTIVITY_DELAY_SEC = 120;
/** A comment line this often keeps proxies from closing a quiet stream and finds dead sockets. */
export const KEEPALIVE_MS = 15_000;
/** Streams written per turn of the event loop when a change fans out. */
const FANOUT_SLICE = 64;

interface Stream {
  keyId: string;
  /** The SDK key's environment: only its changes are told to this stream. */
  env: string;
  res: Response;
  release: Release;
}

/** Ends an event stream and its connection (an EventSource reconnects by itself, after `retry`). */
function cut(res: Response): void {
  res.end();
  res.socket?.destroy();
}

/**
 * OFREP's event streams (protocol ADR-0008): server-sent events of `refetchEvaluation`, fed by
 * the same change feed as the websocket push, so an OFREP web client re-fetches its bulk answer
 * within milliseconds of a kill instead of on its next poll. Notification only: the event says
 * the state version moved; the answer is the bulk route's.
 *
 * An EventSource cannot send headers, so the stream URL carries a token: the key's id and an
 * HMAC of it (never the SDK key itself) under a key derived from the signing secret the replicas
 * share (SECRET_FILE), so a URL one replica handed out works on any replica behind the load
 * balancer and across restarts; without one (unit tests) a secret made at start-up. A token
 * outlives no revocation: the route checks the key is live on every connect.
 */
export class OfrepEvents {
  private readonly secret: Buffer;
  private readonly streams = new Set<Stream>();
  private readonly stops: Array<() => void> = [];
  private timer?: NodeJS.Timeout;
  private budget: StreamBudget;
  private addressOf: (req: Response['req']) => string = (req) => req.socket.remoteAddress ?? 'unknown';

  constructor(private readonly deps: { push: PushState; bus: ChangeBus; perKey: number; signingSecret?: Uint8Array }) {
    this.secret = deps.signingSecret
      ? crypto.createHmac('sha256', deps.signingSecret).update('switchyard ofrep event stream tokens').digest()
      : crypto.randomBytes(32);
    // A budget of its own until the server's shared one is attached (server/main.ts).
    this.budget = new StreamBudget({ total: deps.perKey, perKey: deps.perKey, perAddress: deps.perKey, perUser: deps.perKey });
  }

  /**
   * Streams take their place in the server's long-lived connection budget, shared with the
   * websockets (server/push/stream-budget.ts): a key or address past its share loses its oldest
   * stream, never a newcomer. `addressOf` is the client address (TRUST_PROXY honoured).
   */
  useBudget(budget: StreamBudget, addressOf: (req: Response['req']) => string): void {
    this.budget = budget;
    this.addressOf = addressOf;
  }

  /** Distinct SDK keys with an event stream open now. */
  keyIds(): Set<string> {
    return new Set([...this.streams].map((s) => s.keyId));
  }

  /** Starts relaying changes (idempotent). */
  start(): void {
    if (this.stops.length > 0) return;
    this.stops.push(this.deps.push.onEnv((e) => this.stops.push(e.feed.onBroadcast((b) => this.send(e.environment, b.version)))));
    this.stops.push(
      this.deps.bus.subscribe((e) => {
        if (e.type !== 'audit' || e.entry.action !== AuditAction.SdkKeyRevoke) return;
        const id = (e.entry.after as { id?: unknown } | null)?.id;
        if (typeof id === 'string') this.revoke(id);
      }),
    );
    this.timer = setInterval(() => this.write(': keepalive\n\n'), KEEPALIVE_MS).unref();
  }

  /**
   * Where clients reach this server (PUBLIC_URL, else the address it listens on; set in
   * server/main.ts): event-stream URLs are built on it, never on the request's Host header.
   */
  baseUrl?: string;

  /** The `eventStreams` URL handed to a client of `keyId`. */
  url(keyId: string): string {
    return `${(this.baseUrl ?? '').replace(/\/+$/, '')}/ofrep/v1/events?token=${this.token(keyId)}`;
  }

  token(keyId: string): string {
    const id = Buffer.from(keyId).toString('base64url');
    return `${id}.${this.mac(id)}`;
  }

  /** The key id a token was made for, or undefined for a forged or foreign one. */
  keyOf(token: string): string | undefined {
    const [id, mac] = token.split('.');
    if (!id || !mac) return undefined;
    const want = Buffer.from(this.mac(id));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !crypto.timingSafeEqual(want, got)) return undefined;
    return Buffer.from(id, 'base64url').toString();
  }

  private mac(id: string): string {
    return crypto.createHmac('sha256', this.secret).update(`ofrep-events\n${id}`).digest('base64url');
  }

  /** Holds the response open as an event stream for `keyId`, told of `env`'s changes only. */
  open(res: Response, keyId: string, env: string, version: number): void {
    this.start();
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    const release = this.budget.admit('ofrep', `key:${keyId}`, this.addressOf(res.req), () => cut(res));
    const stream: Stream = { keyId, env, res, release };
    this.streams.add(stream);
    res.on('close', () => {
      this.streams.delete(stream);
      release();
    });
    // A first event tells the client the version it connected at (a reconnect re-fetches then).
    res.write(`retry: 2000\nid: ${version}\nevent: message\ndata: ${JSON.stringify(event(version))}\n\n`);
  }

  /** Streams open now. */
  get size(): number {
    return this.streams.size;
  }

  /** Streams open now in `env`. */
  sizeIn(env: string): number {
    let n = 0;
    for (const s of this.streams) if (s.env === env) n++;
    return n;
  }

  private send(env: string, version: number): void {
    this.write(`id: ${version}\nevent: message\ndata: ${JSON.stringify(event(version))}\n\n`, env);
  }

  /**
   * Writes one chunk to every stream: encoded and framed once (HTTP/1.1 chunked), one socket
   * write per stream, in slices of FANOUT_SLICE with the event loop free in between, so a kill
   * request arriving meanwhile is not held behind thousands of browser notifications. Each
   * stream still gets the chunks in order (a later write's slice k runs after an earlier one's).
   */
  private write(chunk: string, env?: string): void {
    const data = Buffer.from(chunk);
    const framed = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
    const targets = env === undefined ? [...this.streams] : [...this.streams].filter((s) => s.env === env);
    const step = (from: number) => {
      const end = Math.min(from + FANOUT_SLICE, targets.length);
      for (let i = from; i < end; i++) {
        const s = targets[i]!;
        if (!this.streams.has(s)) continue;
        const socket = s.res.socket;
        // Headers were flushed at open, so a chunked response's body is ours to frame.
        if (socket && !socket.destroyed && (s.res as unknown as { chunkedEncoding?: boolean }).chunkedEncoding) socket.write(framed);
        else s.res.write(data);
      }
      if (end < targets.length) setImmediate(step, end);
    };
    step(0);
  }

  /** Ends the streams of a revoked key: its token no longer opens one either (the key is checked). */
  revoke(keyId: string): void {
    for (const s of this.streams) if (s.keyId === keyId) s.res.end();
  }

  /**
   * Ends every stream and its connection now (SIGTERM's drain: a held stream would keep the
   * drain waiting its full DRAIN_SECONDS); new ones are still served until close().
   */
  endAll(): void {
    for (const s of [...this.streams]) {
      this.streams.delete(s);
      s.release();
      cut(s.res);
    }
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
    clearInterval(this.timer);
    this.endAll();
  }
}

/** ADR-0008's event data: re-fetch, the state version as `etag`, and when (Unix seconds). */
function event(version: number): { type: 'refetchEvaluation'; etag: string; lastModified: number } {
  return { type: 'refetchEvaluation', etag: `"${version}"`, lastModified: Math.floor(Date.now() / 1000) };
}
