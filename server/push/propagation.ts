import { performance } from 'node:perf_hooks';
import type { OfrepPropagation, Propagation } from '../../sdk/src/protocol.js';

/** What the tracker keeps per live SDK connection. */
export interface Peer {
  keyId: string;
  /** Highest global version the peer has acknowledged (its `hello` version until it acks). */
  applied: number;
  /** When it acknowledged that (ms, monotonic). */
  appliedAt: number;
  /** Our version when the peer went live: it got older changes by snapshot, not by broadcast. */
  liveFrom: number;
}

interface Delivery {
  /** The broadcast covers the versions after `since` up to `version`. */
  since: number;
  version: number;
  sentAt: number;
  keys: string[];
  /** Send-to-ack time of every peer that acknowledged this broadcast. */
  latencies: number[];
}

interface Waiter {
  key: string;
  stateVersion: number;
  /** Live peers that have not applied `stateVersion`: kept up to date, never recounted per ack. */
  pending: number;
  done(): void;
}

const KEEP_DELIVERIES = 512;

/**
 * Delivery acknowledgements: per connection the applied version and time, per broadcast the
 * time it was sent. Answers "how many connected SDKs have applied this flag's latest change,
 * and how long did the slowest take".
 */
export class PropagationTracker {
  readonly peers = new Set<Peer>();
  private readonly deliveries: Delivery[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly progress = new Set<(keys: string[]) => void>();
  private readonly touched = new Set<Delivery>();
  private flushing = false;
  /** A port (wired in services.ts): what the OFREP domain knows of its clients for a state version. */
  others?: (stateVersion: number) => OfrepPropagation;

  constructor(
    private readonly stateVersionOf: (key: string) => number | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A broadcast from `since` to `version` (covering `keys`) is being written to every live peer. */
  sent(since: number, version: number, keys: string[]): void {
    this.deliveries.push({ since, version, sentAt: this.now(), keys, latencies: [] });
    if (this.deliveries.length > KEEP_DELIVERIES) this.deliveries.splice(0, this.deliveries.length - KEEP_DELIVERIES);
  }

  join(peer: Peer): void {
    if (this.peers.has(peer)) return;
    this.peers.add(peer);
    for (const w of this.waiters) if (peer.applied < w.stateVersion) w.pending++;
  }

  leave(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    for (const w of [...this.waiters]) if (peer.applied < w.stateVersion && --w.pending <= 0) w.done();
  }

  /**
   * One peer applied everything up to `version`. Runs once per peer per broadcast, so it
   * allocates nothing: the deliveries it touched are noted, and progress listeners hear about
   * their keys once per event-loop turn, however many acknowledgements arrived in it.
   */
  ack(peer: Peer, version: number): void {
    const before = peer.applied;
    if (version <= before) return;
    const at = this.now();
    for (let i = this.deliveries.length - 1; i >= 0; i--) {
      const d = this.deliveries[i]!;
      if (d.version <= before || d.version <= peer.liveFrom) break;
      if (d.version > version) continue;
      d.latencies.push(at - d.sentAt);
      if (this.progress.size) this.moved(d);
    }
    peer.applied = version;
    peer.appliedAt = at;
    // O(waiters) per ack: a kill waiting on 10,000 peers must not rescan them 10,000 times.
    for (const w of this.waiters) if (before < w.stateVersion && version >= w.stateVersion && --w.pending <= 0) w.done();
  }

  /** Notes that a delivery's figures moved; listeners hear once per turn of the event loop. */
  private moved(d: Delivery): void {
    this.touched.add(d);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      const keys = new Set<string>();
      for (const t of this.touched) for (const k of t.keys) keys.add(k);
      this.touched.clear();
      for (const l of this.progress) l([...keys]);
    });
  }

  /** Called with the flag keys whose figures moved, as acknowledgements arrive. */
  onProgress(listener: (keys: string[]) => void): () => void {
    this.progress.add(listener);
    return () => this.progress.delete(listener);
  }

  /** The figures for a flag's latest change (or for `stateVersion` if given); undefined if unknown. */
  of(key: string, stateVersion = this.stateVersionOf(key)): Propagation | undefined {
    if (stateVersion === undefined) return undefined;
    let applied = 0;
    for (const p of this.peers) if (p.applied >= stateVersion) applied++;
    const d = this.deliveryFor(stateVersion);
    const lat = d && d.latencies.length ? [...d.latencies].sort((a, b) => a - b) : [];
    const ofrep = this.others?.(stateVersion);
    return {
      ...(ofrep && { ofrep }),
      key,
      stateVersion,
      connected: this.peers.size,
      applied,
      pending: this.peers.size - applied,
      slowestMs: lat.length ? round(lat[lat.length - 1]!) : null,
      medianMs: lat.length ? round(lat[Math.floor((lat.length - 1) / 2)]!) : null,
    };
  }

  /** Resolves once every live peer applied the change, or after `ms` with the figures so far. */
  waitFor(key: string, stateVersion: number, ms: number): Promise<Propagation> {
    const figures = () => this.of(key, stateVersion)!;
    let pending = 0;
    for (const p of this.peers) if (p.applied < stateVersion) pending++;
    if (ms <= 0 || pending === 0) return Promise.resolve(figures());
    return new Promise((resolve) => {
      const waiter: Waiter = {
        key,
        stateVersion,
        pending,
        done: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(figures());
        },
      };
      const timer = setTimeout(waiter.done, ms);
      this.waiters.add(waiter);
    });
  }

  /** Resolves every waiter (shutdown). */
  close(): void {
    for (const w of [...this.waiters]) w.done();
    this.progress.clear();
  }

  private deliveryFor(stateVersion: number): Delivery | undefined {
    let lo = 0;
    let hi = this.deliveries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.deliveries[mid]!.version < stateVersion) lo = mid + 1;
      else hi = mid;
    }
    const d = this.deliveries[lo];
    return d && d.since < stateVersion ? d : undefined;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
