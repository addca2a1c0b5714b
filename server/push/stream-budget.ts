/** What a long-lived stream is: an SDK websocket, an OFREP event stream, or an admin UI websocket. */
export type StreamKind = 'sdk' | 'ofrep' | 'admin';

/**
 * Which cap made room: the credential's share (`key`: MAX_CONNECTIONS_PER_KEY, `user`:
 * MAX_ADMIN_STREAMS_PER_USER), the client address's (`address`: MAX_STREAMS_PER_ADDRESS), the
 * whole budget (`budget`: MAX_STREAMS), or the process's connection cap (`connections`:
 * MAX_CONNECTIONS, when no idle socket was left to evict).
 */
export type StreamCap = 'key' | 'user' | 'address' | 'budget' | 'connections';

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
export class StreamBudget {
  /** Every held stream, oldest first (Set order). */
  private readonly all = new Set<Held>();
  private readonly byCredential = new Map<string, Set<Held>>();
  private readonly byAddress = new Map<string, Set<Held>>();
  private readonly byKind: Record<StreamKind, number> = { sdk: 0, ofrep: 0, admin: 0 };

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
    const cap = kind === 'admin' ? this.limits.perUser : this.limits.perKey;
    const own = this.byCredential.get(credential);
    if (own && own.size >= Math.min(cap, this.limits.total)) this.evict(first(own)!, kind === 'admin' ? 'user' : 'key');
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
