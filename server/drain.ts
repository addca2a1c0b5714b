import type http from 'node:http';
import type { RequestHandler } from 'express';
import { Unavailable } from './errors.js';

/** Paths a draining server still answers: the load balancer's checks. */
const HEALTH_PATHS = new Set(['/healthz', '/readyz']);

/**
 * SIGTERM's drain (server/main.ts `drain()`): from `begin()` the server refuses new requests
 * (503 `shutting_down`, `Connection: close`, nothing changed — a load balancer retries them on
 * another replica) while /readyz answers 503 and /healthz 200, and `settled()` tells when the
 * requests already in flight (a kill being written) have finished.
 */
export class Drain {
  private inflight = 0;
  private idle = new Set<() => void>();
  private started = false;

  constructor(server: http.Server) {
    server.on('request', (_req, res: http.ServerResponse) => {
      if (this.started) return; // refused at once by the middleware; not what the drain waits for
      this.inflight++;
      res.once('close', () => {
        if (--this.inflight === 0) for (const f of [...this.idle]) f();
      });
    });
  }

  get draining(): boolean {
    return this.started;
  }

  begin(): void {
    this.started = true;
  }

  /** Resolves true once no request taken before `begin()` is in flight, false after `ms`. */
  settled(ms: number): Promise<boolean> {
    if (this.inflight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.idle.delete(onIdle);
        resolve(ok);
      };
      const onIdle = () => done(true);
      const timer = setTimeout(done, ms, false);
      this.idle.add(onIdle);
    });
  }
}

/** The express side: while draining, every response closes its connection and new requests are refused. */
export function drainGate(isDraining: () => boolean): RequestHandler {
  return (req, res, next) => {
    if (!isDraining()) return next();
    res.setHeader('Connection', 'close');
    if (HEALTH_PATHS.has(req.path)) return next();
    next(new Unavailable('this replica is shutting down; send the request to another (nothing was changed)', 1, 'shutting_down'));
  };
}
