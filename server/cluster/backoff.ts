/** Doubling delays from `minMs` up to `maxMs`, each with up to a quarter of jitter, so replicas do not reconnect in step. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** this.attempt++);
    return Math.round(base * (0.75 + Math.random() * 0.25));
  }

  reset(): void {
    this.attempt = 0;
  }
}
