/**
 * Whether the server is reachable. Failed fetches and a dropped stream mark the UI offline;
 * while offline, /healthz is probed with backoff and the first answer brings it back online.
 */
export type StreamState = 'connecting' | 'live' | 'unavailable' | 'closed';

class Connection extends EventTarget {
  offline = false;
  stream: StreamState = 'closed';
  private probe: ReturnType<typeof setTimeout> | undefined;
  private delay = 1000;

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  setStream(s: StreamState): void {
    if (this.stream === s) return;
    this.stream = s;
    this.changed();
  }

  /** A request reached the server. */
  reachable(): void {
    if (!this.offline) return;
    this.offline = false;
    this.delay = 1000;
    clearTimeout(this.probe);
    this.probe = undefined;
    this.changed();
    this.dispatchEvent(new Event('online'));
  }

  /** A request could not reach the server: go offline and start probing. */
  unreachable(): void {
    if (this.offline) return;
    this.offline = true;
    this.changed();
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.probe);
    this.probe = setTimeout(() => void this.check(), this.delay);
    this.delay = Math.min(this.delay * 2, 10_000);
  }

  /** Probes the server; resolves to whether it answered. */
  async check(): Promise<boolean> {
    try {
      const res = await fetch('/healthz', { cache: 'no-store' });
      if (res.ok) {
        this.reachable();
        return true;
      }
    } catch {
      // still unreachable
    }
    if (!this.offline) this.unreachable();
    else this.schedule();
    return false;
  }
}

export const connection = new Connection();
