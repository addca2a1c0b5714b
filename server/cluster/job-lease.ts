import type { Db } from '../storage/schema.js';
import type { Logger } from '../log.js';
import { releaseLease, tryLease } from './lease-store.js';

/**
 * A lease on the cluster's periodic jobs (auto-advance, retention, audit checkpoints): renewed
 * at every heartbeat for three heartbeats, so when its holder dies another replica takes it
 * within about three heartbeats. `holds()` answers from memory and turns false before the
 * lease could expire in the database (a replica that cannot renew stops running jobs first).
 * Overlap is still possible in a pathological pause; the jobs stay exactly-once by their own
 * version checks (an advance names the stage it advances from).
 */
export class JobLease {
  private validUntil = 0;
  private wasHeld = false;

  constructor(
    private readonly deps: { db: Db; name: string; holder: string; ttlMs: number; log: Logger },
  ) {}

  holds(): boolean {
    return performance.now() < this.validUntil;
  }

  async renew(): Promise<boolean> {
    const asked = performance.now();
    let held = false;
    try {
      held = await tryLease(this.deps.db, this.deps.name, this.deps.holder, this.deps.ttlMs);
    } catch (err) {
      this.deps.log.warn({ err, lease: this.deps.name }, 'cluster: lease renewal failed');
    }
    // Counted from when we asked, with a margin: never longer than the database will honour it.
    this.validUntil = held ? asked + this.deps.ttlMs * 0.8 : 0;
    if (held !== this.wasHeld) this.deps.log.info({ lease: this.deps.name, holder: this.deps.holder, held }, held ? 'cluster: this replica now runs the periodic jobs' : 'cluster: this replica no longer runs the periodic jobs');
    this.wasHeld = held;
    return held;
  }

  async release(): Promise<void> {
    this.validUntil = 0;
    if (!this.wasHeld) return;
    this.wasHeld = false;
    await releaseLease(this.deps.db, this.deps.name, this.deps.holder).catch(() => undefined);
  }
}
