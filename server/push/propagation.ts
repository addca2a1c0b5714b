import { performance } from 'node:perf_hooks';
import type { OfrepPropagation, Propagation, ReplicaPropagation } from '@switchyard-flags/sdk/protocol';

/**
 * The other replicas of a cluster, as their figures reach this one (server/cluster/). Without
 * it the tracker answers for this process alone, as on one node.
 */
export interface RemoteAcks {
  /** This replica's name, for its own row in `replicas`. */
  readonly self: string;
  /** Every other replica's figures for `stateVersion` among the SDKs of `environment`; gone ones are listed and not counted. */
  figures(stateVersion: number, environment: string): ReplicaPropagation[];
  /** Called whenever another replica's figures or liveness moved. */
  onChange(listener: () => void): () => void;
}

/** What the tracker keeps per live SDK connection. */
export interface Peer {
  keyId: string;
  /** The connection's id (shown in the convergence gate's list of SDKs that have not applied a stage). */
  id?: string;
  /** What the SDK said it is in its `hello` (`sdk`), if anything. */
  name?: string;
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
/** How long an SDK closed as unresponsive is listed apart in the figures. */
const UNRESPONSIVE_WINDOW_MS = 5 * 60_000;
const KEEP_UNRESPONSIVE = 10_000;

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
  private remote?: RemoteAcks;
  private readonly peerListeners = new Set<() => void>();
  /** SDKs closed as unresponsive (oldest first): when, and the version they had applied. */
  private readonly dropped: Array<{ at: number; applied: number }> = [];
  /** A port (wired in services.ts): what the OFREP domain knows of its clients for a state version. */
  others?: (stateVersion: number) => OfrepPropagation;

  constructor(
    private readonly stateVersionOf: (key: string) => number | undefined,
    private readonly now: () => number = () => performance.now(),
    /** The environment whose SDKs this tracker counts (one tracker per environment: server/push/push-state.ts). */
    readonly environment = 'production',
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
    this.peersMoved();
  }

  leave(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    for (const w of [...this.waiters]) if (peer.applied < w.stateVersion && --w.pending <= 0) this.settle(w);
    this.peersMoved();
  }

  /**
   * A peer that did not acknowledge in time (server/push/sdk-stream.ts): it leaves the figures
   * and every wait at once, and is listed apart as `unresponsive` for a while.
   */
  unresponsive(peer: Peer): void {
    this.dropped.push({ at: this.now(), applied: peer.applied });
    if (this.dropped.length > KEEP_UNRESPONSIVE) this.dropped.splice(0, this.dropped.length - KEEP_UNRESPONSIVE);
    this.leave(peer);
  }

  /** Peers closed as unresponsive within the window that had not applied `stateVersion`. */
  private unresponsiveFor(stateVersion: number): number {
    let n = 0;
    for (const v of this.unresponsiveApplied()) if (v < stateVersion) n++;
    return n;
  }

  /** The applied version of each peer closed as unresponsive within the window (a cluster publishes them: server/cluster/). */
  unresponsiveApplied(): number[] {
    const since = this.now() - UNRESPONSIVE_WINDOW_MS;
    while (this.dropped.length && this.dropped[0]!.at < since) this.dropped.shift();
    return this.dropped.map((d) => d.applied);
  }

  /**
   * Counts the other replicas of a cluster in every figure and wait from now on; the waits
   * already running are rechecked whenever their figures move.
   */
  attachRemote(remote: RemoteAcks): () => void {
    this.remote = remote;
    const stop = remote.onChange(() => {
      for (const w of [...this.waiters]) this.settle(w);
      if (this.progress.size === 0) return;
      const keys = new Set<string>();
      for (const d of this.deliveries.slice(-16)) for (const k of d.keys) keys.add(k);
      for (const l of this.progress) l([...keys]);
    });
    return () => {
      stop();
      this.remote = undefined;
    };
  }

  /** Called (synchronously, so keep it cheap) whenever a peer joins, leaves or acknowledges. */
  onPeers(listener: () => void): () => void {
    this.peerListeners.add(listener);
    return () => this.peerListeners.delete(listener);
  }

  private peersMoved(): void {
    for (const l of this.peerListeners) l();
  }

  /** Live SDKs of other replicas that have not applied `stateVersion`. */
  private remotePending(stateVersion: number): number {
    if (!this.remote) return 0;
    let n = 0;
    for (const r of this.remote.figures(stateVersion, this.environment)) if (r.status === 'live') n += r.pending;
    return n;
  }

  private settle(w: Waiter): void {
    if (w.pending <= 0 && this.remotePending(w.stateVersion) === 0) w.done();
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
    for (const w of this.waiters) if (before < w.stateVersion && version >= w.stateVersion && --w.pending <= 0) this.settle(w);
    this.peersMoved();
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
    const unresponsive = this.unresponsiveFor(stateVersion);
    const figures: Propagation = {
      ...(ofrep && { ofrep }),
      ...(unresponsive > 0 && { unresponsive }),
      key,
      stateVersion,
      connected: this.peers.size,
      applied,
      pending: this.peers.size - applied,
      slowestMs: lat.length ? round(lat[lat.length - 1]!) : null,
      medianMs: lat.length ? round(lat[Math.floor((lat.length - 1) / 2)]!) : null,
    };
    if (!this.remote) return figures;
    // A cluster: the totals count every live replica; each replica's own figures beside them.
    const own: ReplicaPropagation = {
      name: this.remote.self, connected: figures.connected, acknowledged: applied, pending: figures.pending, status: 'live', goneForMs: null,
      ...(unresponsive > 0 && { unresponsive }),
    };
    const replicas = [own, ...this.remote.figures(stateVersion, this.environment)];
    let allUnresponsive = unresponsive;
    for (const r of replicas) {
      if (r === own || r.status !== 'live') continue;
      figures.connected += r.connected;
      figures.applied += r.acknowledged;
      figures.pending += r.pending;
      allUnresponsive += r.unresponsive ?? 0;
    }
    // Unresponsive SDKs of every live replica (each replica closes its own; issue 20).
    if (allUnresponsive > 0) figures.unresponsive = allUnresponsive;
    figures.replicas = replicas;
    return figures;
  }

  /** Live peers that have not applied `stateVersion`, the first `limit` of them (for the convergence gate). */
  notApplied(stateVersion: number, limit = 50): Array<{ id: string; name?: string; keyId: string; stateVersion: number }> {
    const out: Array<{ id: string; name?: string; keyId: string; stateVersion: number }> = [];
    for (const p of this.peers) {
      if (out.length >= limit) break;
      if (p.applied < stateVersion) out.push({ id: p.id ?? '', ...(p.name ? { name: p.name } : {}), keyId: p.keyId, stateVersion: p.applied });
    }
    return out;
  }

  /** Resolves once every live peer applied the change, or after `ms` with the figures so far. */
  waitFor(key: string, stateVersion: number, ms: number): Promise<Propagation> {
    const figures = () => this.of(key, stateVersion)!;
    let pending = 0;
    for (const p of this.peers) if (p.applied < stateVersion) pending++;
    if (ms <= 0 || (pending === 0 && this.remotePending(stateVersion) === 0)) return Promise.resolve(figures());
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
