export interface WriteGateOptions {
  /**
   * Write transactions admitted at once (default 1). SQLite has one connection: 1. PostgreSQL
   * could take more; docs/performance.md ("The write gate on PostgreSQL") has the figures that
   * decided the default.
   */
  concurrent?: number;
}

/**
 * Admits `concurrent` write transactions at a time (one by default), urgent ones first. Safety
 * actions (kill, restore, rollback, pause, guardrail trips) are urgent: they wait for at most the
 * transactions already running, never for the queue of metric batches or edits behind them; a
 * waiting urgent write also holds back every normal one not yet admitted. (Kysely's own connection
 * mutex is first-come first-served, so without this a kill waits for every write queued before it.)
 */
export class WriteGate {
  private running = 0;
  private readonly limit: number;
  private readonly urgent: Array<() => void> = [];
  private readonly normal: Array<() => void> = [];

  constructor(opts: WriteGateOptions = {}) {
    const n = opts.concurrent ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new RangeError(`WriteGate: concurrent must be an integer from 1 to 1000, not ${n}`);
    this.limit = n;
  }

  async run<T>(urgent: boolean, fn: () => Promise<T>): Promise<T> {
    // Writes wait only when every slot is taken; a freed slot is handed over in the finally below.
    if (this.running >= this.limit) await new Promise<void>((admit) => (urgent ? this.urgent : this.normal).push(admit));
    else this.running++;
    try {
      return await fn();
    } finally {
      // Hand the slot over directly (still counted as running) so nothing can slip in between:
      // to an urgent write at once; to a normal one after a turn of the event loop, so a kill
      // whose request is still being read or authenticated reaches the urgent queue first (a
      // SQLite batch runs on microtasks alone, and back-to-back batches would never let it in).
      if (this.urgent.length) this.urgent.shift()!();
      else if (this.normal.length) setImmediate(() => this.handOver());
      else this.running--;
    }
  }

  private handOver(): void {
    const next = this.urgent.shift() ?? this.normal.shift();
    if (next) next();
    else this.running--;
  }

  /** Writes waiting now, urgent and not. */
  get waiting(): { urgent: number; normal: number } {
    return { urgent: this.urgent.length, normal: this.normal.length };
  }

  /** Writes admitted and not yet finished. */
  get admitted(): number {
    return this.running;
  }
}
