import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { CloseCodes } from '@switchyard-flags/sdk/protocol';
import type { Logger } from '../log.js';
import type { TelemetrySink } from '../telemetry/telemetry-service.js';
import { BadMessage, parseClientMessage } from './client-message.js';
import type { Peer } from './propagation.js';
import type { PushEnv, PushState } from './push-state.js';
import type { Broadcast } from './state-feed.js';
import { evictionMessage, type StreamBudget } from './stream-budget.js';

export interface SdkStreamDeps {
  /** Every environment's feed and tracker: a connection is served its SDK key's environment only. */
  push: PushState;
  log: Logger;
  heartbeatMs: number;
  maxBufferedBytes: number;
  /** The long-lived connection budget every stream takes a place in (server/push/stream-budget.ts). */
  budget: StreamBudget;
  /** An SDK that owes an acknowledgement this long is unresponsive: counted apart and closed. */
  ackTimeoutMs: number;
  /** Told each time an SDK is closed as unresponsive, for /metrics. */
  onUnresponsive?: () => void;
  /** Told how long writing one change to every live socket took (the fan-out histogram). */
  onFanout?: (seconds: number) => void;
  /** Where valid `telemetry` counts go (evaluation counts per flag, stage and variant). */
  telemetry?: TelemetrySink;
}

interface Conn {
  ws: WebSocket;
  /** The SDK key's environment: the only feed this connection is ever written from. */
  env: PushEnv;
  peer: Peer;
  live: boolean;
  /** Answered the last ping. */
  alive: boolean;
  /** Heartbeat ticks spent waiting for `hello`. */
  waited: number;
  /** The highest version written to it. */
  sent: number;
  /** Since when (ms, monotonic) it owes an acknowledgement of what it was sent; 0: it owes none. */
  owedSince: number;
}

const TEXT = { binary: false } as const;

/** Sends a `{type:'error'}` and closes with a 44xx code and a short reason. */
export function refuse(ws: WebSocket, close: number, code: string, message: string): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(JSON.stringify({ type: 'error', code, message }));
  ws.close(close, code);
}

/** Closes a stream the server gives up on (4429 `evicted` by default), cutting it a second later if the peer does not answer the close. */
export function evict(ws: WebSocket, message: string, close: number = CloseCodes.EVICTED, code = 'evicted'): void {
  refuse(ws, close, code, message);
  setTimeout(() => ws.terminate(), 1000).unref();
}

/**
 * The SDK side of the push layer: hello -> first message (snapshot or changes since), then
 * every broadcast, heartbeats, acknowledgements. Broadcasts are encoded once by the feed;
 * the send loop does no per-connection work beyond the slow-consumer check.
 */
export class SdkStream {
  private readonly conns = new Set<Conn>();
  private readonly stops: Array<() => void> = [];
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly deps: SdkStreamDeps) {
    this.stops.push(deps.push.onEnv((e) => this.stops.push(e.feed.onBroadcast((b) => this.broadcast(e, b)))));
    this.sweep = setInterval(() => this.reapUnresponsive(), Math.max(25, Math.min(1000, deps.ackTimeoutMs / 4)));
    this.sweep.unref();
  }

  get size(): number {
    return this.conns.size;
  }

  /**
   * Serves an authenticated socket of an SDK key bound to `environment` from `address`, taking
   * its place in the stream budget (which may evict an older one). That environment's feed must
   * be started (push-server.ts awaits it before the upgrade completes).
   */
  accept(ws: WebSocket, keyId: string, address: string, environment: string = this.deps.push.defaultEnvironment): void {
    const c: Conn = { ws, env: this.deps.push.env(environment), peer: { keyId, id: randomUUID(), applied: 0, appliedAt: 0, liveFrom: 0 }, live: false, alive: true, waited: 0, sent: 0, owedSince: 0 };
    const release = this.deps.budget.admit('sdk', `key:${keyId}`, address, (cap) => evict(ws, evictionMessage(cap)));
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
      c.env.tracker.leave(c.peer);
      release();
    });
  }

  private onMessage(c: Conn, msg: ReturnType<typeof parseClientMessage>): void {
    const { feed, tracker } = c.env;
    if (msg.type === 'hello') {
      if (c.live) throw new BadMessage('hello was already sent on this connection');
      const resume = msg.version > 0 && msg.version <= feed.version;
      c.peer.applied = resume ? msg.version : 0;
      c.peer.liveFrom = feed.version;
      if (msg.sdk) c.peer.name = msg.sdk;
      c.live = true;
      tracker.join(c.peer);
      c.sent = feed.version;
      if (c.peer.applied < c.sent) c.owedSince = performance.now();
      this.send(c, feed.firstMessage(msg.version, this.deps.heartbeatMs));
      return;
    }
    if (!c.live) throw new BadMessage('the first message must be hello');
    if (msg.type === 'ack') {
      if (msg.version > feed.version) throw new BadMessage(`ack.version ${msg.version} was never sent (the server is at ${feed.version})`);
      tracker.ack(c.peer, msg.version);
      c.owedSince = msg.version >= c.sent ? 0 : performance.now();
    }
    if (msg.type === 'telemetry') this.deps.telemetry?.record(msg.counts, msg.reach, c, c.env.environment);
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

  private broadcast(e: PushEnv, b: Broadcast): void {
    const start = performance.now();
    e.tracker.sent(b.since, b.version, b.rows.map((r) => r.row.key));
    for (const c of this.conns) {
      if (!c.live || c.env !== e) continue;
      c.sent = b.version;
      if (c.owedSince === 0 && c.peer.applied < b.version) c.owedSince = start;
      this.send(c, b.data);
    }
    this.deps.onFanout?.((performance.now() - start) / 1000);
  }

  /** Every heartbeat: reap peers that missed the last ping, ping the rest, send the app-level heartbeat. */
  tick(): void {
    const beats = new Map<PushEnv, Buffer>();
    const beatOf = (e: PushEnv) => {
      let beat = beats.get(e);
      if (!beat) beats.set(e, (beat = Buffer.from(JSON.stringify({ type: 'heartbeat', version: e.feed.version }))));
      return beat;
    };
    for (const c of this.conns) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
      if (c.live) this.send(c, beatOf(c.env));
      else if (++c.waited >= 2) refuse(c.ws, CloseCodes.TIMEOUT, 'hello_timeout', 'no hello within a heartbeat interval');
    }
  }

  /**
   * An SDK that has owed an acknowledgement (of its snapshot, or of a change) for ACK_TIMEOUT_MS
   * cannot answer: it leaves the figures (so it holds no kill's wait and no convergence gate),
   * is counted apart as unresponsive, and is closed with 4408 `ack_timeout`.
   */
  private reapUnresponsive(): void {
    const now = performance.now();
    for (const c of this.conns) {
      if (c.owedSince === 0 || now - c.owedSince < this.deps.ackTimeoutMs) continue;
      c.owedSince = 0;
      c.env.tracker.unresponsive(c.peer);
      this.deps.onUnresponsive?.();
      this.deps.log.warn({ keyId: c.peer.keyId, sdk: c.peer.name }, 'push: sdk did not acknowledge within ACK_TIMEOUT_MS; closed as unresponsive');
      evict(c.ws, `no acknowledgement within ${this.deps.ackTimeoutMs} ms (ACK_TIMEOUT_MS)`, CloseCodes.TIMEOUT, 'ack_timeout');
    }
  }

  /** Distinct SDK keys with a connection now (to recheck after a revocation made elsewhere). */
  keyIds(): Set<string> {
    return new Set([...this.conns].map((c) => c.peer.keyId));
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
    for (const stop of this.stops.splice(0)) stop();
    clearInterval(this.sweep);
  }
}
