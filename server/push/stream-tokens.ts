import type { WebSocket } from 'ws';
import { CloseCodes } from '@switchyard-flags/sdk/protocol';
import type { TokenClaims } from '../auth/token-revocations.js';
import type { Logger } from '../log.js';

/** setTimeout's longest delay; a later expiry is caught by the periodic recheck instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Watched {
  claims: TokenClaims;
  exp?: number;
  timer?: NodeJS.Timeout;
}

/**
 * The user token behind each admin stream: the stream closes with 4419 `token_expired` when
 * the token's `exp` passes, and with 4401 `token_revoked` when a recheck (on every token
 * revocation this process makes, and every heartbeat for ones the CLI made) finds it revoked.
 */
export class StreamTokens {
  private readonly streams = new Map<WebSocket, Watched>();

  constructor(
    private readonly isRevoked: (claims: TokenClaims) => Promise<boolean>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  watch(ws: WebSocket, user: TokenClaims & { exp?: number }): void {
    const w: Watched = { claims: { sub: user.sub, jti: user.jti, iat: user.iat }, exp: user.exp };
    if (user.exp !== undefined) {
      const ms = user.exp * 1000 - this.now();
      if (ms <= 0) return this.expire(ws);
      if (ms <= MAX_TIMER_MS) {
        w.timer = setTimeout(() => this.expire(ws), ms);
        w.timer.unref();
      }
    }
    this.streams.set(ws, w);
    ws.once('close', () => this.forget(ws));
  }

  /** Closes every stream whose token has expired or been revoked since it was checked. */
  recheck(): void {
    for (const [ws, w] of this.streams) {
      if (w.exp !== undefined && w.exp * 1000 <= this.now()) {
        this.expire(ws);
        continue;
      }
      this.isRevoked(w.claims).then(
        (revoked) => {
          if (revoked) this.end(ws, CloseCodes.TOKEN_REVOKED, 'token_revoked');
        },
        (err: unknown) => this.log.warn({ err }, 'push: could not check a stream token for revocation'),
      );
    }
  }

  close(): void {
    for (const ws of [...this.streams.keys()]) this.forget(ws);
  }

  private expire(ws: WebSocket): void {
    this.end(ws, CloseCodes.TOKEN_EXPIRED, 'token_expired');
  }

  private end(ws: WebSocket, code: number, reason: string): void {
    this.forget(ws);
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  }

  private forget(ws: WebSocket): void {
    const w = this.streams.get(ws);
    if (w?.timer) clearTimeout(w.timer);
    this.streams.delete(ws);
  }
}
