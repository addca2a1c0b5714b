import type { Db } from '../storage/schema.js';
import { writeReadinessProbe } from '../meta-store.js';
import type { StorageLane } from '../storage/storage.js';

export interface Readiness {
  ok: boolean;
  /** What is wrong, in words on-call can act on; empty when ready. */
  problems: string[];
  /** What on-call must look at that is no reason to stop serving (kills must keep landing): a refused audit checkpoint. */
  warnings?: string[];
}

export interface HealthDeps {
  db: Db;
  /** The readiness probe writes through the write gate. */
  storage: StorageLane;
  /** False once the DATA_DIR lock file was removed or replaced. SQLite only: on PostgreSQL there is no lock file. */
  lockHeld?: () => boolean;
  now?: () => number;
  /** A probe write runs when the last successful write is older than this (an idle server). */
  probeAfterMs?: number;
  /** A probe that has not committed by then counts as a refused write. */
  probeTimeoutMs?: number;
}

/**
 * What /readyz and /metrics say about the kill path: can the database take a write right now
 * (on PostgreSQL too: "reachable" is the probe write committing), and, on SQLite, is this still
 * the one server on its DATA_DIR. Writes report their outcome here
 * (`writeSucceeded`, `writeRefused`); when the last outcome was a refusal, or nothing was
 * written for a while, /readyz makes a probe write through the write gate (after any waiting
 * safety action) to find out.
 */
export class Health {
  private lastOkAt = -Infinity;
  private refused: string | undefined;
  private pending: Promise<void> | undefined;
  private probeCount = 0;
  private stopping = false;
  private lagOf: (() => string | null) | undefined;
  private auditOf: (() => string | null) | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: HealthDeps) {
    this.now = deps.now ?? (() => performance.now());
  }

  get dbWritable(): boolean {
    return this.refused === undefined;
  }

  writeSucceeded(): void {
    this.lastOkAt = this.now();
    this.refused = undefined;
  }

  writeRefused(code: string): void {
    this.refused = code;
  }

  /**
   * With replicas on PostgreSQL, the change stream's listener says here whether this replica is
   * caught up: `lag()` is null when it is, else what is behind, in words on-call can act on
   * ("the listening connection is down; 3 versions behind"). Unset on one node.
   */
  watchChangeStream(lag: () => string | null): void {
    this.lagOf = lag;
  }

  /** The audit checkpoints say here why they refuse to sign (a rewritten chain, a deleted checkpoint); null when they sign. */
  watchAuditCheckpoints(refused: () => string | null): void {
    this.auditOf = refused;
  }

  /** SIGTERM began the drain: /readyz answers 503 from now on, whatever else holds. */
  shutDown(): void {
    this.stopping = true;
  }

  get shuttingDown(): boolean {
    return this.stopping;
  }

  async check(): Promise<Readiness> {
    if (this.stopping) return { ok: false, problems: ['shutting down (SIGTERM): draining in-flight requests; send traffic to another replica'] };
    const problems: string[] = [];
    if (this.deps.lockHeld && !this.deps.lockHeld()) {
      problems.push('the DATA_DIR lock file was removed or taken over: another server may be using this database; restart this one');
    }
    if (this.refused !== undefined || this.now() - this.lastOkAt > (this.deps.probeAfterMs ?? 10_000)) await this.probe();
    if (this.refused !== undefined) problems.push(`the database refuses writes (${this.refused}): kills would fail with 503`);
    const lag = this.lagOf?.();
    if (lag) problems.push(`behind the change stream: ${lag}`);
    const audit = this.auditOf?.();
    const warnings = audit ? [`audit checkpoints refused: ${audit}`] : undefined;
    return { ok: problems.length === 0, problems, ...(warnings ? { warnings } : {}) };
  }

  /** One probe write in flight at most; a caller waits for it up to the probe timeout. */
  private async probe(): Promise<void> {
    if (!this.pending) {
      const n = ++this.probeCount;
      this.pending = this.deps.storage.write(false, async (trx) => {
        await writeReadinessProbe(trx, n);
      })
        .then(
          () => this.writeSucceeded(),
          (err: unknown) => this.writeRefused(String((err as { code?: unknown }).code ?? 'error')),
        )
        .finally(() => {
          this.pending = undefined;
        });
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.deps.probeTimeoutMs ?? 1000);
    });
    const outcome = await Promise.race([this.pending, late]);
    clearTimeout(timer);
    if (outcome === 'late') this.writeRefused('a write did not commit within 1 s');
  }
}
