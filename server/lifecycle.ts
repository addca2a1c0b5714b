/**
 * What startServer acquired, released in reverse: each acquisition registers its release right
 * after it succeeds, so a start that fails at any step releases exactly what it had (and nothing
 * it had not), and `close()` of the running server is the same stack. Node 20 has no
 * AsyncDisposableStack; this is the part of it the server needs.
 */
export class Lifecycle {
  private readonly releases: Array<{ name: string; release: () => unknown }> = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly onError: (name: string, err: unknown) => void = () => undefined) {}

  /** Registers `release` (run once, after everything registered later). */
  defer(name: string, release: () => unknown): void {
    if (this.closing) throw new Error(`lifecycle: "${name}" registered after close`);
    this.releases.push({ name, release });
  }

  /** Registers `release(value)` and hands `value` back: `const x = life.use('x', open(), (x) => x.close())`. */
  use<T>(name: string, value: T, release: (value: T) => unknown): T {
    this.defer(name, () => release(value));
    return value;
  }

  /** Names of what is held now, last acquired last (tests read it). */
  get held(): string[] {
    return this.releases.map((r) => r.name);
  }

  /**
   * Releases everything in reverse order, each once; a release that throws is reported to
   * `onError` and the rest still run. A second call joins the first.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (let r = this.releases.pop(); r; r = this.releases.pop()) {
        try {
          await r.release();
        } catch (err) {
          this.onError(r.name, err);
        }
      }
    })();
    return this.closing;
  }
}
