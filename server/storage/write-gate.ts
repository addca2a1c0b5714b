/**
 * Admits one write transaction at a time, urgent ones first. Safety actions (kill, restore,
 * rollback, pause, guardrail trips) are urgent: at most one transaction already running can
 * delay them, never the queue of metric batches or edits behind it. (Kysely's own connection
 * mutex is first-come first-served, so without this a kill waits for every write queued
 * before it.)
 */
export class WriteGate {
  private busy = false;
  private readonly urgent: Array<() => void> = [];
  private readonly normal: Array<() => void> = [];

  async run<T>(urgent: boolean, fn: () => Promise<T>): Promise<T> {
    if (this.busy) await new Promise<void>((admit) => (urgent ? this.urgent : this.normal).push(admit));
    this.busy = true;
    try {
      return await fn();
    } finally {
      // Hand over directly (staying busy) so nothing can slip in between.
      const next = this.urgent.shift() ?? this.normal.shift();
      if (next) next();
      else this.busy = false;
    }
  }

  /** Writes waiting now, urgent and not. */
  get waiting(): { urgent: number; normal: number } {
    return { urgent: this.urgent.length, normal: this.normal.length };
  }
}
