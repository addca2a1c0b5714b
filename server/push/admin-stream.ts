import type { WebSocket } from 'ws';
import { redactEntry } from '../audit/audit-redaction.js';
import type { AuditEntry } from '@switchyard-flags/sdk/api';
import type { Role } from '../auth/roles.js';
import type { ChangeBus } from '../changes.js';
import { toFlagView } from '../flags/flag-view.js';
import type { Logger } from '../log.js';
import type { PropagationTracker } from './propagation.js';
import type { StateFeed } from './state-feed.js';
import { evict } from './sdk-stream.js';
import { evictionMessage, type StreamBudget } from './stream-budget.js';

export interface AdminStreamDeps {
  feed: StateFeed;
  tracker: PropagationTracker;
  bus: ChangeBus;
  log: Logger;
  maxBufferedBytes: number;
  /** The long-lived connection budget (per user: MAX_ADMIN_STREAMS_PER_USER). */
  budget: StreamBudget;
  /** Minimum gap between two propagation messages for one flag. */
  propagationEveryMs?: number;
  /**
   * Every environment's flag state (server/push/push-state.ts): a change in another environment
   * than the default reaches the UI as a `flag` message naming its `environment` (issue 23).
   */
  environments?: { defaultEnvironment: string; onEnv(listener: (e: { environment: string; feed: StateFeed }) => void): () => void };
}

const TEXT = { binary: false } as const;

/**
 * The admin UI's stream (/api/stream): flag changes as REST flag views, audit entries, and
 * propagation figures as acknowledgements arrive (at most ~10 a second per flag).
 * Every message is encoded once for all connected UIs.
 */
export class AdminStream {
  /** Per connection: alive (answered the last ping) and the role, which decides what audit fields it sees. */
  private readonly conns = new Map<WebSocket, { alive: boolean; role: Role | undefined }>();
  private readonly lastSent = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly stops: Array<() => void> = [];
  private readonly every: number;

  constructor(private readonly deps: AdminStreamDeps) {
    this.every = deps.propagationEveryMs ?? 100;
    this.stops.push(
      deps.feed.onBroadcast((b) => {
        if (this.conns.size === 0) return;
        for (const { row, action } of b.rows) {
          this.sendAll({ type: 'flag', action, stateVersion: row.state_version, flag: toFlagView(row) });
        }
        this.schedule(b.rows.map((r) => r.row.key));
      }),
      deps.bus.subscribe((e) => {
        if (e.type === 'audit' && this.conns.size > 0) this.sendAudit(e.entry);
      }),
      deps.tracker.onProgress((keys) => this.schedule(keys)),
    );
    const envs = deps.environments;
    if (envs) {
      this.stops.push(
        envs.onEnv((e) => {
          if (e.environment === envs.defaultEnvironment) return;
          this.stops.push(
            e.feed.onBroadcast((b) => {
              if (this.conns.size === 0) return;
              for (const { row, action } of b.rows) {
                this.sendAll({ type: 'flag', action, stateVersion: row.state_version, environment: e.environment, flag: toFlagView(row) });
              }
            }),
          );
        }),
      );
    }
  }

  get size(): number {
    return this.conns.size;
  }

  /**
   * `role` is the token's; without one the connection sees audit entries as a viewer would.
   * `user` (the token's subject) and `address` place it in the stream budget, which may evict
   * that user's oldest stream.
   */
  accept(ws: WebSocket, role: Role | undefined, user: string, address: string): void {
    const state = { alive: true, role };
    const release = this.deps.budget.admit('admin', `user:${user}`, address, (cap) => {
      // Evicted: out of the count and of every broadcast at once, not when its close handshake ends.
      this.conns.delete(ws);
      evict(ws, evictionMessage(cap));
    });
    this.conns.set(ws, state);
    ws.on('pong', () => {
      state.alive = true;
    });
    // The UI has nothing to say in v1; whatever it sends is ignored.
    ws.on('error', (err) => this.deps.log.debug({ err }, 'push: admin socket error'));
    ws.on('close', () => {
      this.conns.delete(ws);
      release();
    });
    ws.send(JSON.stringify({ type: 'hello', version: this.deps.feed.version }));
  }

  tick(): void {
    const beat = Buffer.from(JSON.stringify({ type: 'heartbeat', version: this.deps.feed.version }));
    for (const [ws, state] of this.conns) {
      if (!state.alive) {
        ws.terminate();
        continue;
      }
      state.alive = false;
      ws.ping();
      this.send(ws, beat);
    }
  }

  sockets(): WebSocket[] {
    return [...this.conns.keys()];
  }

  close(): void {
    for (const stop of this.stops) stop();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Sends the propagation figures of each key now, or when its throttle window ends. */
  private schedule(keys: string[]): void {
    if (this.conns.size === 0) return;
    const now = performance.now();
    for (const key of new Set(keys)) {
      if (this.timers.has(key)) continue;
      const wait = (this.lastSent.get(key) ?? -Infinity) + this.every - now;
      if (wait <= 0) this.sendPropagation(key);
      else {
        const t = setTimeout(() => {
          this.timers.delete(key);
          this.sendPropagation(key);
        }, wait);
        t.unref();
        this.timers.set(key, t);
      }
    }
  }

  private sendPropagation(key: string): void {
    const figures = this.deps.tracker.of(key);
    if (!figures) return;
    if (this.lastSent.size > 10_000) this.lastSent.clear();
    this.lastSent.set(key, performance.now());
    this.sendAll({ type: 'propagation', ...figures });
  }

  /** Each role gets the entry as the audit routes would show it; one encoding per distinct view. */
  private sendAudit(entry: AuditEntry): void {
    const encoded = new Map<Role | undefined, Buffer>();
    for (const [ws, { role }] of this.conns) {
      let data = encoded.get(role);
      if (!data) encoded.set(role, (data = Buffer.from(JSON.stringify({ type: 'audit', entry: redactEntry(entry, role) }))));
      this.send(ws, data);
    }
  }

  private sendAll(msg: object): void {
    const data = Buffer.from(JSON.stringify(msg));
    for (const ws of this.conns.keys()) this.send(ws, data);
  }

  private send(ws: WebSocket, data: Buffer): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.deps.maxBufferedBytes) {
      ws.terminate();
      return;
    }
    ws.send(data, TEXT);
  }
}
