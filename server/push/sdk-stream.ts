import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { CloseCodes } from '@switchyard-flags/sdk/protocol';
import type { Logger } from '../log.js';
import type { TelemetrySink } from '../telemetry/telemetry-service.js';
import { BadMessage, parseClientMessage } from './client-message.js';
import type { Peer, PropagationTracker } from './propagation.js';
import type { Broadcast, StateFeed } from './state-feed.js';

export interface SdkStreamDeps {
  feed: StateFeed;
  tracker: PropagationTracker;
  log: Logger;
  heartbeatMs: number;
  maxBufferedBytes: number;
  maxConnectionsPerKey: number;
  /** Told how long writing one change to every live socket took (the fan-out histogram). */
  onFanout?: (seconds: number) => void;
  /** Where valid `telemetry` counts go (evaluation counts per flag, stage and variant). */
  telemetry?: TelemetrySink;
}

interface Conn {
  ws: WebSocket;
  peer: Peer;
  live: boolean;
  /** Answered the last ping. */
  alive: boolean;
  /** Heartbeat ticks spent waiting for `hello`. */
  waited: number;
}

const TEXT = { binary: false } as const;

/** Sends a `{type:'error'}` and closes with a 44xx code and a short reason. */
export function refuse(ws: WebSocket, close: number, code: string, message: string): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(JSON.stringify({ type: 'error', code, message }));
  ws.close(close, code);
}

/**
 * The SDK side of the push layer: hello -> first message (snapshot or changes since), then
 * every broadcast, heartbeats, acknowledgements. Broadcasts are encoded once by the feed;
 * the send loop does no per-connection work beyond the slow-consumer check.
 */
export class SdkStream {
  private readonly conns = new Set<Conn>();
  private readonly perKey = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: SdkStreamDeps) {
    this.unsubscribe = deps.feed.onBroadcast((b) => this.broadcast(b));
  }

  get size(): number {
    return this.conns.size;
  }

  /** Takes a connection slot for `keyId`; false when the key is at its limit. */
  reserve(keyId: string): boolean {
    const n = this.perKey.get(keyId) ?? 0;
    if (n >= this.deps.maxConnectionsPerKey) return false;
    this.perKey.set(keyId, n + 1);
    return true;
  }

  release(keyId: string): void {
    const n = (this.perKey.get(keyId) ?? 1) - 1;
    if (n <= 0) this.perKey.delete(keyId);
    else this.perKey.set(keyId, n);
  }

  /** Serves an authenticated socket whose slot was reserved. */
  accept(ws: WebSocket, keyId: string): void {
    const c: Conn = { ws, peer: { keyId, id: randomUUID(), applied: 0, appliedAt: 0, liveFrom: 0 }, live: false, alive: true, waited: 0 };
    this.conns.add(c);
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      try {
        this.onMessage(c, parseClientMessage(data, isBinary));
      } catch (err) {
        if (err instanceof BadMessage) refuse(ws, CloseCodes.MALFORMED, err.code, err.message);
        else {
          this.deps.log.error({ err, keyId }, 'push: handling an sdk message failed');
          ws.terminate();
        }
      }
    });
    ws.on('error', (err) => this.deps.log.debug({ err, keyId }, 'push: sdk socket error'));
    ws.on('close', () => {
      this.conns.delete(c);
      this.deps.tracker.leave(c.peer);
      this.release(keyId);
    });
  }

  private onMessage(c: Conn, msg: ReturnType<typeof parseClientMessage>): void {
    const { feed, tracker } = this.deps;
    if (msg.type === 'hello') {
      if (c.live) throw new BadMessage('hello was already sent on this connection');
      const resume = msg.version > 0 && msg.version <= feed.version;
      c.peer.applied = resume ? msg.version : 0;
      c.peer.liveFrom = feed.version;
      if (msg.sdk) c.peer.name = msg.sdk;
      c.live = true;
      tracker.join(c.peer);
      this.send(c, feed.firstMessage(msg.version, this.deps.heartbeatMs));
      return;
    }
    if (!c.live) throw new BadMessage('the first message must be hello');
    if (msg.type === 'ack') {
      if (msg.version > feed.version) throw new BadMessage(`ack.version ${msg.version} was never sent (the server is at ${feed.version})`);
      tracker.ack(c.peer, msg.version);
    }
    if (msg.type === 'telemetry') this.deps.telemetry?.record(msg.counts, msg.reach, c);
  }

  /** Writes to one peer unless its backlog shows it is not keeping up; then it is cut. */
  private send(c: Conn, data: Buffer): void {
    if (c.ws.bufferedAmount > this.deps.maxBufferedBytes) {
      this.deps.log.warn({ keyId: c.peer.keyId, buffered: c.ws.bufferedAmount }, 'push: slow consumer cut');
      c.ws.terminate();
      return;
    }
    c.ws.send(data, TEXT);
  }

  private broadcast(b: Broadcast): void {
    const start = performance.now();
    this.deps.tracker.sent(b.since, b.version, b.rows.map((r) => r.row.key));
    for (const c of this.conns) if (c.live) this.send(c, b.data);
    this.deps.onFanout?.((performance.now() - start) / 1000);
  }

  /** Every heartbeat: reap peers that missed the last ping, ping the rest, send the app-level heartbeat. */
  tick(): void {
    const beat = Buffer.from(JSON.stringify({ type: 'heartbeat', version: this.deps.feed.version }));
    for (const c of this.conns) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
      if (c.live) this.send(c, beat);
      else if (++c.waited >= 2) refuse(c.ws, CloseCodes.TIMEOUT, 'hello_timeout', 'no hello within a heartbeat interval');
    }
  }

  /** Closes every connection of a revoked key with 4401. */
  revoke(keyId: string): void {
    for (const c of this.conns) {
      if (c.peer.keyId === keyId) refuse(c.ws, CloseCodes.KEY_REVOKED, 'key_revoked', 'this SDK key was revoked');
    }
  }

  sockets(): WebSocket[] {
    return [...this.conns].map((c) => c.ws);
  }

  close(): void {
    this.unsubscribe();
  }
}
