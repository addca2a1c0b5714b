/**
 * The flag state a client holds: one PreparedFlag per flag of the last snapshot and the changes
 * since, the version they bring it to, and the evaluation hot path over them. No socket and no
 * timer: the client hands it the state messages, the telemetry reporter takes its counts.
 */
import type { HashOut } from './bucket.js';
import type { Client, Reach } from './client-types.js';
import { carry, takeCounts } from './eval-counts.js';
import { explain, PreparedFlag, serve } from './evaluate.js';
import type { ChangesMessage, EvaluationContext, FlagState, Json, Snapshot, SnapshotMessage, TelemetryCount } from './protocol.js';

export interface Flags {
  /** The global state version held (0 if none). */
  readonly version: number;
  /**
   * Applies a snapshot (replaces everything) or changes (replace by key, delete `removed`) at a
   * newer version; a state at or below the version held changes nothing. Returns the keys whose
   * definition changed, or null for changes that start past the version held (a gap: versions
   * were missed, so only a fresh snapshot can bring it up to date).
   */
  receive(m: SnapshotMessage | ChangesMessage): string[] | null;
  /** What the client serves from the state: its evaluation methods and the snapshot. */
  read: Pick<Client, 'value' | 'isEnabled' | 'evaluate' | 'snapshot'>;
  /** The evaluation counts since the last call (per flag and stage), zeroing them. */
  takeCounts(): TelemetryCount[];
  /** When the client last heard from the server (ms since the epoch; its creation until then): leases count from it (lease.ts). */
  heardAt: number;
  /**
   * The clock as the client's lease timer just read it. Evaluations of a leased flag do not read
   * the clock each time (Date.now() costs about 80 ns on a VM): they use this reading, and read
   * the clock themselves every 64th leased evaluation, so a late (throttled) timer is covered.
   */
  clock(now: number): void;
}

/** Of two objects: null, an array, or another object (a flag serves a fallback's kind, or the fallback is served). */
const kind = (v: unknown) => (v === null ? 0 : Array.isArray(v) ? 1 : 2);
/** value()'s hot path allocates nothing, not even `{}` for a missing context (never handed out, only read: not frozen, a few bytes less). */
const NO_CONTEXT: EvaluationContext = {};

/** An empty flag state; `reach` (optional) is told of every evaluation that serves `on`. */
export function createFlags(reach?: Reach | null): Flags {
  let flags = new Map<string, PreparedFlag>();
  let version = 0;
  let heardAt = Date.now();
  /** The clock as last read for the leases (see Flags.clock), and leased evaluations since a read. */
  let seen = heardAt;
  let tick = 0;
  /** Whether a prepared flag's lease has lapsed: 0 for most flags (no lease) after one field read. */
  const lapsed = (p: PreparedFlag) => p.leaseMs !== 0 && ((++tick & 63) === 0 ? (seen = Date.now()) : seen) - heardAt > p.leaseMs;
  /** Counts of flag states replaced at another stage or removed, until the next report. */
  const aside: TelemetryCount[] = [];
  /** The hash the last evaluation that bucketed a key computed, for the reach sketch. */
  const hashed: HashOut = { hash: 0 };
  /** Only a client with a reach sketch asks for the hash: without one, bucketing stores nothing. */
  const out = reach ? hashed : undefined;

  function apply(list: FlagState[], removed: string[] | undefined, v: number): string[] {
    const changed: string[] = [];
    const next = removed ? flags : new Map<string, PreparedFlag>();
    for (const f of list) {
      const old = flags.get(f.key);
      const p = new PreparedFlag(f);
      if (old?.f.version !== f.version) changed.push(f.key);
      carry(old, p, aside);
      next.set(f.key, p);
    }
    for (const k of removed ?? [...flags.keys()].filter((k) => !next.has(k))) {
      const old = flags.get(k);
      if (old) changed.push(k);
      carry(old, undefined, aside);
      flags.delete(k);
    }
    flags = next;
    version = v;
    return changed;
  }

  /** The hot path: one Map lookup, the prepared flag's checks, the hash, a counter; no allocation. */
  function value(key: string, context: EvaluationContext | undefined, fallback: Json): Json {
    const p = flags.get(key);
    if (p === undefined) return fallback;
    // The lease: past it, a leased flag serves its off value.
    const s = p.leaseMs !== 0 && lapsed(p) ? 0 : serve(p, context ?? NO_CONTEXT, out);
    const v = s > 0 ? p.on : p.off;
    if (s < 0 || typeof v !== typeof fallback || (typeof v === 'object' && kind(v) !== kind(fallback))) {
      p.nf++;
      return fallback;
    }
    if (s > 0) p.n1++, reach?.add(p, context, hashed.hash);
    else p.n0++;
    return v;
  }

  return {
    get version() {
      return version;
    },
    get heardAt() {
      return heardAt;
    },
    set heardAt(at: number) {
      heardAt = seen = at;
    },
    clock(now) {
      seen = now;
    },
    receive(m) {
      if (m.type === 'snapshot') return apply(m.flags, undefined, m.version);
      if (m.since > version) return null;
      return m.version > version ? apply(m.flags, m.removed, m.version) : [];
    },
    read: {
      snapshot: () => ({ version, flags: [...flags.values()].map((p) => p.f) }),
      value: value as Client['value'],
      isEnabled: (key, context) => value(key, context, false) as boolean,
      evaluate(key, context) {
        const p = flags.get(key);
        if (p && lapsed(p)) {
          p.n0++;
          return { value: p.off, reason: 'STALE', flagVersion: p.f.version };
        }
        const r = explain(p, context ?? NO_CONTEXT, out);
        if (!p) return r;
        if (r.reason === 'ERROR') p.nf++;
        else if (r.reason === 'ROLLOUT_IN') p.n1++, reach?.add(p, context, hashed.hash);
        else p.n0++;
        return r;
      },
    },
    takeCounts: () => takeCounts(flags.values(), aside),
  };
}
