import { AuditAction } from '@switchyard-flags/sdk/api';
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../storage/schema.js';
import { write, type WriteDeps } from '../unit-of-work.js';
import type { Actor } from '../actor.js';
import { insertTokenRevocation, revocationMatches } from './token-revocation-store.js';
import { ValidationError } from '../errors.js';
import { CLOCK_SKEW_SECONDS } from './tokens.js';

/** What to revoke: one token by its `jti`, or every token of `sub` issued before `before` (default now). */
export type RevokeTarget = { jti: string } | { sub: string; before?: Date };

/** A revocation as the API answers it and the audit entry records it. */
export interface TokenRevocationView {
  id: string;
  jti: string | null;
  sub: string | null;
  /** Tokens of `sub` issued before this time are refused (ISO); null for a `jti` revocation. */
  before: string | null;
  revokedAt: string;
  revokedBy: string;
}

/** The claims a revocation is checked against. */
export interface TokenClaims {
  sub: string;
  jti?: string;
  /** Epoch seconds; a token without one counts as issued at the epoch (revoked by any `before`). */
  iat?: number;
}

/**
 * Revoked user tokens: the one remedy for a leaked token short of rotating the signing
 * secret. Checked on every request and at every stream; each revocation is audited in its
 * own transaction. The API and `switchyard revoke-token` write through the same method.
 */
export class TokenRevocationService {
  constructor(private readonly deps: WriteDeps & { clock: Clock; revocations?: { add(r: { jti: string | null; sub: string | null; before: number | null }): void } }) {}

  async revoke(actor: Actor, target: RevokeTarget, reason: string): Promise<TokenRevocationView> {
    const now = this.deps.clock();
    if ('sub' in target && target.before && target.before.getTime() > now.getTime() + CLOCK_SKEW_SECONDS * 1000) {
      // "Every token issued before 2999" would refuse every token that subject is ever given.
      throw new ValidationError(`"before" may be at most ${CLOCK_SKEW_SECONDS} s after now (${now.toISOString()}): a revocation dated in the future would lock that subject out for good; to refuse tokens not yet issued, do not issue them`, [{ path: 'before', message: 'in the future' }]);
    }
    // `iat` has whole seconds: "before now" covers every token issued up to the end of this second.
    const beforeS = 'sub' in target ? (target.before ? Math.floor(target.before.getTime() / 1000) : Math.floor(now.getTime() / 1000) + 1) : null;
    const view: TokenRevocationView = {
      id: crypto.randomUUID(),
      jti: 'jti' in target ? target.jti : null,
      sub: 'sub' in target ? target.sub : null,
      before: beforeS === null ? null : new Date(beforeS * 1000).toISOString(),
      revokedAt: now.toISOString(),
      revokedBy: actor.sub,
    };
    await write(
      this.deps,
      actor,
      async (ctx) => {
        await insertTokenRevocation(ctx.trx, { id: view.id, jti: view.jti, sub: view.sub, before: beforeS, revoked_at: view.revokedAt, revoked_by: view.revokedBy, reason });
        await ctx.record({ action: AuditAction.TokenRevoke, after: view, reason });
        // Other replicas (PostgreSQL) reload their lists when this commits.
        await this.deps.storage.notify(ctx.trx, 'revocations');
      },
      // Revoking a leaked credential is a safety action: it goes ahead of queued metric batches.
      { urgent: true },
    );
    // Committed: this process refuses the token from its next request on, without a read.
    this.deps.revocations?.add({ jti: view.jti, sub: view.sub, before: beforeS });
    return view;
  }
}

/** Whether a verified token has been revoked: one indexed read (reads do not pass the write gate). */
export async function isRevoked(db: Db, t: TokenClaims): Promise<boolean> {
  return revocationMatches(db, { sub: t.sub, jti: t.jti, iat: t.iat ?? 0 });
}
