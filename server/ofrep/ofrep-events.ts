import crypto from 'node:crypto';
import type { Response } from 'express';
import { AuditAction } from '@switchyard-flags/sdk/api';
import type { ChangeBus } from '../changes.js';
import type { StateFeed } from '../push/state-feed.js';

/** What a provider is told to wait before it closes an idle (hidden-tab) stream (ADR-0008 `inactivityDelaySec`). */
export const INACTIVITY_DELAY_SEC = 120;
/** A comment line this often keeps proxies from closing a quiet stream and finds dead sockets. */
export const KEEPALIVE_MS = 15_000;

interface Stream {
  keyId: string;
  res: Response;
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

  private readonly perKey = new Map<string, number>();

  constructor(private readonly deps: { feed: StateFeed; bus: ChangeBus; perKey: number; signingSecret?: Uint8Array }) {
    this.secret = deps.signingSecret
      ? crypto.createHmac('sha256', deps.signingSecret).update('switchyard ofrep event stream tokens').digest()
      : crypto.randomBytes(32);
  }

  /** Whether `keyId` may open one more stream (MAX_CONNECTIONS_PER_KEY, as for its websockets). */
  hasRoom(keyId: string): boolean {
    return (this.perKey.get(keyId) ?? 0) < this.deps.perKey;
  }

  /** Starts relaying changes (idempotent). */
  start(): void {
    if (this.stops.length > 0) return;
    this.stops.push(this.deps.feed.onBroadcast((b) => this.send(b.version)));
    this.stops.push(
      this.deps.bus.subscribe((e) => {
        if (e.type !== 'audit' || e.entry.action !== AuditAction.SdkKeyRevoke) return;
        const id = (e.entry.after as { id?: unknown } | null)?.id;
        if (typeof id === 'string') this.revoke(id);
      }),
    );
    this.timer = setInterval(() => this.write(': keepalive\n\n'), KEEPALIVE_MS).unref();
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

  /** Holds the response open as an event stream for `keyId`. */
  open(res: Response, keyId: string, version: number): void {
    this.start();
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    const stream: Stream = { keyId, res };
    this.streams.add(stream);
    this.perKey.set(keyId, (this.perKey.get(keyId) ?? 0) + 1);
    res.on('close', () => {
      if (!this.streams.delete(stream)) return;
      const n = (this.perKey.get(keyId) ?? 1) - 1;
      if (n > 0) this.perKey.set(keyId, n);
      else this.perKey.delete(keyId);
    });
    // A first event tells the client the version it connected at (a reconnect re-fetches then).
    res.write(`retry: 2000\nid: ${version}\nevent: message\ndata: ${JSON.stringify(event(version))}\n\n`);
  }

  /** Streams open now. */
  get size(): number {
    return this.streams.size;
  }

  private send(version: number): void {
    this.write(`id: ${version}\nevent: message\ndata: ${JSON.stringify(event(version))}\n\n`);
  }

  private write(chunk: string): void {
    for (const s of this.streams) s.res.write(chunk);
  }

  /** Ends the streams of a revoked key: its token no longer opens one either (the key is checked). */
  revoke(keyId: string): void {
    for (const s of this.streams) if (s.keyId === keyId) s.res.end();
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
    clearInterval(this.timer);
    for (const s of this.streams) s.res.end();
    this.streams.clear();
    this.perKey.clear();
  }
}

/** ADR-0008's event data: re-fetch, the state version as `etag`, and when (Unix seconds). */
function event(version: number): { type: 'refetchEvaluation'; etag: string; lastModified: number } {
  return { type: 'refetchEvaluation', etag: `"${version}"`, lastModified: Math.floor(Date.now() / 1000) };
}
