import type { WebSocket } from 'ws';
import { AuditAction } from '@switchyard-flags/sdk/api';
import type { TokenClaims } from '../auth/token-revocations.js';
import type { ChangeBus } from '../changes.js';
import type { Logger } from '../log.js';
import { StreamTokens } from './stream-tokens.js';

/** Streams held by SDK keys (the SDK websockets, OFREP's event streams). */
export interface KeyStreams {
  keyIds(): Iterable<string>;
  revoke(keyId: string): void;
}

export interface StreamRevocationsDeps {
  bus: ChangeBus;
  log: Logger;
  /** Whether a user token has been revoked since it opened its stream. */
  isRevoked: (claims: TokenClaims) => Promise<boolean>;
  /** Whether an SDK key is still live (not revoked). */
  isKeyLive?: (keyId: string) => Promise<boolean>;
  /** A counter that moves when another process may have committed a revocation (SQLite's data_version; PostgreSQL's revocation poll). */
  moved?: () => number;
  /** Also recheck the connected SDK keys this often (PostgreSQL, where nothing tells of another process's commit). */
  keyRecheckMs?: number;
  keyStreams: KeyStreams[];
}

/**
 * Closes the streams of revoked credentials: a user token's admin streams (4401 `token_revoked`,
 * 4419 when it expires) and an SDK key's websockets and event streams. A revocation this process
 * makes closes them at once (the change bus); one made elsewhere (`switchyard revoke-token` or
 * `revoke-sdk-key`, another replica) within 250 ms of `moved()` moving, and in any case on
 * `recheck()` (every heartbeat) and, when set, every `keyRecheckMs`.
 */
export class StreamRevocations {
  private readonly tokens: StreamTokens;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stopBus: () => void;

  constructor(private readonly deps: StreamRevocationsDeps) {
    this.tokens = new StreamTokens(deps.isRevoked, deps.log);
    this.stopBus = deps.bus.subscribe((e) => {
      if (e.type !== 'audit') return;
      // A session ended here (an admin's revoke, a sign-out) closes its streams like a revoked token.
      if (e.entry.action === AuditAction.TokenRevoke || e.entry.action === AuditAction.SessionRevoke || e.entry.action === AuditAction.AuthLogout) this.tokens.recheck();
      if (e.entry.action !== AuditAction.SdkKeyRevoke) return;
      const id = (e.entry.after as { id?: unknown } | null)?.id;
      if (typeof id === 'string') for (const s of deps.keyStreams) s.revoke(id);
    });
    let seen = deps.moved?.();
    this.every(250, () => {
      const now = deps.moved?.();
      if (now === seen) return;
      seen = now;
      this.recheck();
    });
    if (deps.keyRecheckMs) this.every(deps.keyRecheckMs, () => this.recheckKeys());
  }

  /** Watches the user token an admin stream was opened with. */
  watch(ws: WebSocket, user: TokenClaims & { exp?: number }): void {
    this.tokens.watch(ws, user);
  }

  /** Rechecks every watched token and every SDK key with a stream. */
  recheck(): void {
    this.tokens.recheck();
    this.recheckKeys();
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.stopBus();
    this.tokens.close();
  }

  private every(ms: number, f: () => void): void {
    const t = setInterval(f, ms);
    t.unref();
    this.timers.push(t);
  }

  private recheckKeys(): void {
    const isKeyLive = this.deps.isKeyLive;
    if (!isKeyLive) return;
    const ids = new Set<string>();
    for (const s of this.deps.keyStreams) for (const id of s.keyIds()) ids.add(id);
    for (const keyId of ids) {
      isKeyLive(keyId).then(
        (live) => {
          if (!live) for (const s of this.deps.keyStreams) s.revoke(keyId);
        },
        (err: unknown) => this.deps.log.warn({ err }, 'push: could not check an SDK key for revocation'),
      );
    }
  }
}
