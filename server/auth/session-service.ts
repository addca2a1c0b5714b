import crypto from 'node:crypto';
import { AuditAction } from '@switchyard-flags/sdk/api';
import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import { NotFound, Unauthorized } from '../errors.js';
import { write, type WriteDeps } from '../unit-of-work.js';
import type { Role } from './roles.js';
import { deleteEndedSessions, insertSession, openSessions, revokeSession, sessionByHash, sessionById, touchSession, type SessionRow } from './session-store.js';

/** A session as `GET /api/sessions` lists it and the audit entries record it (never the cookie). */
export interface SessionView {
  id: string;
  sub: string;
  name: string | null;
  email: string | null;
  role: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** Who signed in, as the identity provider said, and the role the mapping gave. */
export interface SignIn {
  sub: string;
  name: string | null;
  email: string | null;
  role: Role;
  /** The claims the role was read from (stored with the session, re-read at every sign-in). */
  claims: Record<string, unknown>;
  /** The claim and the map key (or "(default role)") that granted the role. */
  claim: string;
  matched: string;
}

export interface SessionSettings {
  ttlSeconds: number;
  idleSeconds: number;
}

/** How long an ended session's row is kept (admins see who was signed in; the audit keeps the rest). */
export const KEEP_ENDED_MS = 7 * 86_400_000;

/** How often one session's `last_seen_at` is written at most: a busy UI costs one write a minute, not one per request. */
export const TOUCH_EVERY_MS = 60_000;

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** The name a session's changes are recorded under: the IdP subject's email, else its name, else the subject. */
export function actorName(s: { sub: string; name: string | null; email: string | null }): string {
  return s.email || s.name || s.sub;
}

export function toSessionView(r: SessionRow): SessionView {
  return {
    id: r.id,
    sub: r.sub,
    name: r.name,
    email: r.email,
    role: r.role,
    createdAt: new Date(r.created_at).toISOString(),
    lastSeenAt: new Date(r.last_seen_at).toISOString(),
    expiresAt: new Date(r.expires_at).toISOString(),
  };
}

/**
 * Admin UI sessions, in the database so every replica knows them. The cookie holds 32 random
 * bytes; only their SHA-256 is stored, so a read of the table opens no session. A session ends
 * at `expires_at` (SESSION_TTL after sign-in), after SESSION_IDLE_TIMEOUT without a request, or
 * when revoked (sign-out, an admin). Its CSRF token is an HMAC of the cookie under the signing
 * secret: every replica derives the same one and nothing more is stored.
 */
export class SessionService {
  constructor(private readonly deps: WriteDeps & { clock: Clock; key: Uint8Array; settings: SessionSettings }) {}

  get settings(): SessionSettings {
    return this.deps.settings;
  }

  /** Opens a session for a sign-in the provider vouched for; audited `auth.login`. Returns the cookie value. */
  async open(who: SignIn, requestId: string): Promise<{ cookie: string; session: SessionView }> {
    const cookie = crypto.randomBytes(32).toString('base64url');
    const now = this.deps.clock().getTime();
    const row: SessionRow = {
      id: crypto.randomUUID(),
      token_hash: sha256(cookie),
      sub: who.sub,
      name: who.name,
      email: who.email,
      role: who.role,
      claims: JSON.stringify(who.claims),
      created_at: now,
      last_seen_at: now,
      expires_at: now + this.deps.settings.ttlSeconds * 1000,
      revoked_at: null,
      revoked_by: null,
    };
    const session = toSessionView(row);
    const actor: Actor = { sub: actorName(who), role: who.role, requestId };
    await write(this.deps, actor, async (ctx) => {
      // Housekeeping rides on sign-ins: rows of sessions that ended a week ago go (indexed by expires_at).
      await deleteEndedSessions(ctx.trx, now - KEEP_ENDED_MS);
      await insertSession(ctx.trx, row);
      await ctx.record({ action: AuditAction.AuthLogin, after: { session: session.id, sub: who.sub, role: who.role, claim: who.claim, matched: who.matched } });
    });
    return { cookie, session };
  }

  /**
   * Records a refused sign-in (`auth.login_refused`): only for a subject the provider vouched
   * for (a verified ID token), so anonymous callers cannot fill the audit trail.
   */
  async refused(who: { sub: string; name: string | null; email: string | null }, reason: string, detail: Record<string, unknown>, requestId: string): Promise<void> {
    const actor: Actor = { sub: actorName(who), role: 'system', requestId };
    await write(this.deps, actor, async (ctx) => {
      await ctx.record({ action: AuditAction.AuthLoginRefused, after: { sub: who.sub, ...detail }, reason });
    });
  }

  /** The live session a cookie names, its last use moved to now; throws Unauthorized when it has ended. */
  async resolve(cookie: string): Promise<SessionRow> {
    const row = await sessionByHash(this.deps.db, sha256(cookie));
    const now = this.deps.clock().getTime();
    const why = row === undefined ? 'unknown' : this.endedWhy(row, now);
    if (why) throw new Unauthorized(`your session has ${why === 'unknown' ? 'ended' : why}: sign in again`, 'session_ended');
    if (now - row!.last_seen_at >= TOUCH_EVERY_MS) await this.deps.storage.write(false, (trx) => touchSession(trx, row!.id, now));
    return row!;
  }

  /** Whether a session has ended (revoked, expired, idle, gone): the admin stream's recheck. */
  async ended(id: string): Promise<boolean> {
    const row = await sessionById(this.deps.db, id);
    return row === undefined || this.endedWhy(row, this.deps.clock().getTime()) !== undefined;
  }

  /** The CSRF token of the session a cookie opened (the same on every replica). */
  csrfToken(cookie: string): string {
    return crypto.createHmac('sha256', this.deps.key).update(`csrf:${cookie}`).digest('base64url');
  }

  /** Sign-out: the session ends; audited `auth.logout`. */
  async logout(actor: Actor, id: string): Promise<void> {
    await this.end(actor, id, AuditAction.AuthLogout);
  }

  /** An admin ends someone's session; audited `session.revoke`. */
  async revoke(actor: Actor, id: string, reason: string): Promise<SessionView> {
    return this.end(actor, id, AuditAction.SessionRevoke, reason);
  }

  /** Open sessions (neither ended nor idle), newest first. */
  async list(limit = 500): Promise<SessionView[]> {
    const now = this.deps.clock().getTime();
    const rows = await openSessions(this.deps.db, now, limit);
    return rows.filter((r) => this.endedWhy(r, now) === undefined).map(toSessionView);
  }

  private async end(actor: Actor, id: string, action: string, reason?: string): Promise<SessionView> {
    const now = this.deps.clock().getTime();
    return write(
      this.deps,
      actor,
      async (ctx) => {
        const row = await sessionById(ctx.trx, id);
        if (!row || !(await revokeSession(ctx.trx, id, now, actor.sub))) throw new NotFound(`no open session ${id}`);
        const view = toSessionView(row);
        await ctx.record({ action, before: view, ...(reason ? { reason } : {}) });
        // Other replicas recheck their admin streams when this commits.
        await this.deps.storage.notify(ctx.trx, 'revocations');
        return view;
      },
      { urgent: true },
    );
  }

  private endedWhy(r: SessionRow, now: number): string | undefined {
    if (r.revoked_at !== null) return 'been ended';
    if (r.expires_at <= now) return 'expired';
    if (r.last_seen_at + this.deps.settings.idleSeconds * 1000 <= now) return 'been idle too long';
    return undefined;
  }
}
