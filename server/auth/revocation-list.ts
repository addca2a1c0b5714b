import type { Db } from '../storage/schema.js';
import type { TokenClaims } from './token-revocations.js';
import { allTokenRevocations, type TokenRevocationRow } from './token-revocation-store.js';

/**
 * Revoked user tokens, held in memory, so checking a request's token costs no database read:
 * a kill never queues for the database connection behind a metric batch just to learn that
 * on-call's token is still good. Revocations this process makes are added after their commit;
 * those another process commits (`switchyard revoke-token` on the same DATA_DIR) are seen
 * through `changedElsewhere` — SQLite's `data_version`, which moves only when another
 * connection commits — and reloaded before the next check answers.
 */
export class RevocationList {
  private jtis = new Set<string>();
  private subsBefore = new Map<string, number>();
  private seen: number | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly changedElsewhere: () => number,
  ) {}

  /** Reads the whole table (called at start, and when another process committed). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const version = this.changedElsewhere();
        const rows = await allTokenRevocations(this.db);
        this.jtis = new Set();
        this.subsBefore = new Map();
        for (const r of rows) this.add(r);
        this.seen = version;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** A revocation committed by this process. */
  add(r: Pick<TokenRevocationRow, 'jti' | 'sub' | 'before'>): void {
    if (r.jti !== null) this.jtis.add(r.jti);
    if (r.sub !== null && r.before !== null) this.subsBefore.set(r.sub, Math.max(r.before, this.subsBefore.get(r.sub) ?? 0));
  }

  async isRevoked(t: TokenClaims): Promise<boolean> {
    if (this.seen === undefined || this.changedElsewhere() !== this.seen) await this.load();
    if (t.jti !== undefined && this.jtis.has(t.jti)) return true;
    const before = this.subsBefore.get(t.sub);
    return before !== undefined && (t.iat ?? 0) < before;
  }
}
