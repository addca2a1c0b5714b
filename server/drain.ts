import type http from 'node:http';
import type { RequestHandler } from 'express';
import { Unavailable } from './errors.js';

/** Paths a draining server still answers: the load balancer's checks. */
const HEALTH_PATHS = new Set(['/healthz', '/readyz']);

/** The safety actions (kill, restore, rollback, pause): never refused, also while draining. */
const SAFETY_ACTIONS = [/^\/api\/flags\/[^/]+\/(kill|restore|rollback|pause)\/?$/, /^\/api\/(kill|restore)\/?$/];

/** Whether a request is a safety action, which a draining server still takes, writes and pushes. */
export function isSafetyAction(method: string | undefined, url: string | undefined): boolean {
  if (method !== 'POST') return false;
  const path = (url ?? '').split('?')[0]!;
  return SAFETY_ACTIONS.some((re) => re.test(path));
}

/**
 * SIGTERM's drain (server/main.ts `drain()`): from `begin()` the server refuses new requests
 * (503 `shutting_down`, `Connection: close`, nothing changed — a load balancer retries them on
 * another replica) but the safety actions, which it still takes and pushes (on one node there
 * is no other replica to take a kill), while /readyz answers 503 and /healthz 200; `settled()`
 * tells when the requests in flight (a kill being written) have finished.
 */
export class Drain {
  private inflight = 0;
  private idle = new Set<() => void>();
  private started = false;

  constructor(server: http.Server) {
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      // Refused at once by the middleware, not what the drain waits for; a safety action is.
      if (this.started && !isSafetyAction(req.method, req.url)) return;
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

/** The express side: while draining, every response closes its connection and new requests but safety actions are refused. */
export function drainGate(isDraining: () => boolean): RequestHandler {
  return (req, res, next) => {
    if (!isDraining()) return next();
    res.setHeader('Connection', 'close');
    if (HEALTH_PATHS.has(req.path) || isSafetyAction(req.method, req.path)) return next();
    next(new Unavailable('this replica is shutting down; send the request to another (nothing was changed)', 1, 'shutting_down'));
  };
}
