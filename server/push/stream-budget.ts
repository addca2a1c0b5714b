/** What a long-lived stream is: an SDK websocket, an OFREP event stream, or an admin UI websocket. */
export type StreamKind = 'sdk' | 'ofrep' | 'admin';

/**
 * Which cap made room: the credential's share (`key`: MAX_CONNECTIONS_PER_KEY, `user`:
 * MAX_ADMIN_STREAMS_PER_USER), the client address's (`address`: MAX_STREAMS_PER_ADDRESS), the
 * whole budget (`budget`: MAX_STREAMS), or the process's connection cap (`connections`:
 * MAX_CONNECTIONS, when no idle socket was left to evict); `replicas`: the newcomer itself was
 * refused, its key holding MAX_CONNECTIONS_PER_KEY streams on the other replicas.
 */
export type StreamCap = 'key' | 'user' | 'address' | 'budget' | 'connections' | 'replicas';

/**
 * An SDK key's streams on the other replicas of a cluster (server/cluster/replica-registry.ts):
 * this replica's counts go out with its heartbeat, the others' sum comes back with each one.
 */
export interface KeyStreamCounts {
  /** This replica's live SDK and OFREP streams per SDK key id. */
  keyCounts(): Record<string, number>;
  /** The other live replicas' streams per SDK key id (as of their last heartbeat). */
  elsewhere(counts: ReadonlyMap<string, number>): void;
}

export interface StreamLimits {
  total: number;
  perKey: number;
  perAddress: number;
  perUser: number;
}

interface Held {
  kind: StreamKind;
  credential: string;
  address: string;
  close: (cap: StreamCap) => void;
  released: boolean;
}

/** A stream's place in the budget: give it back when the stream closes (idempotent). */
export type Release = () => void;

/**
 * The budget of long-lived connections, below the process's connection cap so that streams can
 * never starve requests (a kill from a fresh connection, /healthz). A new stream is always let
 * in; to make room, the oldest stream is evicted of whichever holder is past its share: the
 * same credential (an SDK key, or a user for admin streams), then the same client address
 * (its oldest of the newcomer's own credential first, so a flood of one key behind an address
 * churns itself and not the other keys' streams there), then, at the budget, the credential
 * holding the most. One credential or address can so hold at most its share, and whoever
 * connects next gets in.
 */
export class StreamBudget implements KeyStreamCounts {
  /** Every held stream, oldest first (Set order). */
  private readonly all = new Set<Held>();
  private readonly byCredential = new Map<string, Set<Held>>();
  private readonly byAddress = new Map<string, Set<Held>>();
  private readonly byKind: Record<StreamKind, number> = { sdk: 0, ofrep: 0, admin: 0 };
  /** Streams per credential (`key:<id>`) on the other replicas; empty on one node. */
  private others: ReadonlyMap<string, number> = new Map();

  constructor(
    private readonly limits: StreamLimits,
    /** Told of every eviction, for /metrics. */
    private readonly onEvict?: (cap: StreamCap, kind: StreamKind) => void,
  ) {}

  get size(): number {
    return this.all.size;
  }

  /** Streams of one kind held now. */
  count(kind: StreamKind): number {
    return this.byKind[kind];
  }

  /**
   * Takes a place for a new stream, evicting to make room. `credential` names who holds it
   * (`key:<id>`, `user:<sub>`); `close` ends the stream when it is evicted.
   */
  admit(kind: StreamKind, credential: string, address: string, close: (cap: StreamCap) => void): Release {
    const cap = kind === 'admin' ? this.limits.perUser : this.limits.perKey - (this.others.get(credential) ?? 0);
    if (cap <= 0) return this.refuse(kind, close);
    const own = this.byCredential.get(credential);
    // A key's share here shrinks when the other replicas hold its streams: its oldest go first.
    while (own && own.size > 0 && own.size >= Math.min(cap, this.limits.total)) this.evict(first(own)!, kind === 'admin' ? 'user' : 'key');
    const there = this.byAddress.get(address);
    if (there && there.size >= Math.min(this.limits.perAddress, this.limits.total)) this.evict(oldestOf(there, credential), 'address');
    if (this.all.size >= this.limits.total) this.evict(this.oldestOfLargest()!, 'budget');
    const h: Held = { kind, credential, address, close, released: false };
    this.all.add(h);
    group(this.byCredential, credential).add(h);
    group(this.byAddress, address).add(h);
    this.byKind[kind]++;
    return () => this.release(h);
  }

  keyCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [credential, held] of this.byCredential) if (credential.startsWith('key:')) out[credential.slice(4)] = held.size;
    return out;
  }

  elsewhere(counts: ReadonlyMap<string, number>): void {
    this.others = new Map([...counts].map(([id, n]) => [`key:${id}`, n]));
  }

  /**
   * The other replicas hold the key's whole share and this one none to make room with: the
   * newcomer is closed (right after its caller has set it up) instead of taken. Its client
   * retries, and a replica holding the key's streams takes it by evicting their oldest.
   */
  private refuse(kind: StreamKind, close: (cap: StreamCap) => void): Release {
    this.onEvict?.('replicas', kind);
    setImmediate(() => close('replicas'));
    return () => undefined;
  }

  /** Evicts the oldest stream of the largest holder (the connection cap was reached); false when none is held. */
  evictForConnection(): boolean {
    const h = this.oldestOfLargest();
    if (!h) return false;
    this.evict(h, 'connections');
    return true;
  }

  private oldestOfLargest(): Held | undefined {
    let largest: Set<Held> | undefined;
    for (const s of this.byCredential.values()) if (!largest || s.size > largest.size) largest = s;
    return largest && first(largest);
  }

  private evict(h: Held, cap: StreamCap): void {
    this.release(h);
    this.onEvict?.(cap, h.kind);
    h.close(cap);
  }

  private release(h: Held): void {
    if (h.released) return;
    h.released = true;
    this.all.delete(h);
    ungroup(this.byCredential, h.credential, h);
    ungroup(this.byAddress, h.address, h);
    this.byKind[h.kind]--;
  }
}

/** Why an evicted stream was closed, for its close frame or log. */
export function evictionMessage(cap: StreamCap): string {
  if (cap === 'replicas') return 'refused: this SDK key holds MAX_CONNECTIONS_PER_KEY streams on the other replicas; retry later';
  const name = { key: 'MAX_CONNECTIONS_PER_KEY', user: 'MAX_ADMIN_STREAMS_PER_USER', address: 'MAX_STREAMS_PER_ADDRESS', budget: 'MAX_STREAMS', connections: 'MAX_CONNECTIONS' }[cap];
  return `evicted: a newer stream took this one's place (${name})`;
}

function first(s: Set<Held>): Held | undefined {
  return s.values().next().value;
}

/** The address's oldest stream of `credential`, or its oldest at all. */
function oldestOf(s: Set<Held>, credential: string): Held {
  for (const h of s) if (h.credential === credential) return h;
  return first(s)!;
}

function group(m: Map<string, Set<Held>>, k: string): Set<Held> {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  return s;
}

function ungroup(m: Map<string, Set<Held>>, k: string, h: Held): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(h);
  if (s.size === 0) m.delete(k);
}
