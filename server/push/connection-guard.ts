import type http from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionGuardOptions {
  /** Concurrent TCP connections; at the cap a new one evicts the longest-waiting idle socket. */
  maxConnections: number;
  /** Told each time a socket is evicted or refused, for /metrics. */
  onEvict?: () => void;
  /**
   * When no idle socket is left: evict a long-lived stream instead (the stream budget's oldest
   * of its largest holder); false when there is none. Its socket closes a moment later, so the
   * new connection is let in one over the cap meanwhile.
   */
  evictStream?: () => boolean;
}

/**
 * Caps the HTTP server's connections without ever locking a caller out: at the cap, a new
 * connection closes the socket that has waited longest without a request in progress (one
 * that never sent its headers, or an idle keep-alive), so a flood of idle or trickling
 * sockets cannot keep on-call's fresh connection out. When none is idle, the oldest long-lived
 * stream of the credential holding the most goes (`evictStream`); a socket with an ordinary
 * request being served is never evicted; only when there is nothing to evict is the new
 * connection itself refused.
 */
export class ConnectionGuard {
  /** Sockets with no request in progress, oldest first (Map order; re-inserted when they go idle). */
  private readonly evictable = new Map<Socket, true>();
  private count = 0;
  /** Sockets already taken off `count` when they were evicted (their 'close' comes later). */
  private readonly evicted = new WeakSet<Socket>();

  constructor(
    server: http.Server,
    private readonly opts: ConnectionGuardOptions,
  ) {
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const socket = req.socket;
      this.evictable.delete(socket);
      res.once('finish', () => {
        if (!socket.destroyed) this.evictable.set(socket, true);
      });
    });
    // An upgrade is authenticated in the upgrade handler; once it is a websocket it is not idle.
    server.on('upgrade', (req: http.IncomingMessage) => this.evictable.delete(req.socket));
  }

  /** Connections open now. */
  get size(): number {
    return this.count;
  }

  private onConnection(socket: Socket): void {
    if (this.count >= this.opts.maxConnections) {
      const oldest = this.evictable.keys().next();
      if (oldest.done) {
        this.opts.onEvict?.();
        if (!this.opts.evictStream?.()) {
          socket.destroy();
          return;
        }
      } else {
        this.evictable.delete(oldest.value);
        this.evicted.add(oldest.value);
        this.count--;
        oldest.value.destroy();
        this.opts.onEvict?.();
      }
    }
    this.count++;
    this.evictable.set(socket, true);
    socket.once('close', () => {
      if (!this.evicted.has(socket)) this.count--;
      this.evictable.delete(socket);
    });
  }
}
