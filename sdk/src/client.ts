/**
 * The Switchyard client: holds the flag state pushed over /sdk/stream and evaluates flags
 * locally (evaluation never touches the network). Runs in browsers (global WebSocket, no
 * Node APIs, no dependencies) and in Node 20 (pass `WebSocket` from `ws`, or it is loaded
 * lazily). Protocol: docs/protocol.md.
 *
 * A composition of three parts: the flag state (flag-state.ts: snapshot and changes, prepared
 * flags, the evaluation hot path), the connection (connection.ts: socket, heartbeat watchdog,
 * backoff, acks) and the telemetry reporter (telemetry-reporter.ts). What is left here: the
 * status, the events, `ready()`, the snapshot cache and the bootstrap.
 */
import type { ChangeEvent, Client, ClientOptions, ClientStatus, SnapshotCache, StaleReport } from './client-types.js';
import { createConnection } from './connection.js';
import { createFlags } from './flag-state.js';
import { checkLeases, staleMessage } from './lease.js';
import type { Snapshot } from './protocol.js';
import { startReporter } from './telemetry-reporter.js';

export { backoffDelay } from './backoff.js';
export { SDK_NAME } from './connection.js';
export type * from './client-types.js';

/** Creates a client and starts connecting. Log messages are short codes, listed in docs/sdk.md. */
export function createClient(opts: ClientOptions): Client {
  let status: ClientStatus = 'initializing';
  let stale: StaleReport | null = null;
  let heardOnce = false;
  let leaseTimer: ReturnType<typeof setTimeout> | undefined;
  let statusReason: string | undefined;
  let closed = false;
  const handlers = { change: new Set<(e: ChangeEvent) => void>(), status: new Set<(s: ClientStatus, r: StaleReport | null) => void>() };
  const waiters = new Set<(ok: boolean) => void>();
  const flags = createFlags(opts.reach);
  const warn = (what: string, detail?: unknown) => opts.logger?.warn('switchyard: ' + what, detail);
  const cacheFailed = (err: unknown) => warn('cache', err);

  function emit<A, B>(set: Set<(a: A, b: B) => void>, arg: A, arg2?: B): void {
    for (const h of [...set]) {
      try {
        h(arg, arg2 as B);
      } catch (err) {
        warn('listener', err);
      }
    }
  }

  function setStatus(s: ClientStatus): void {
    if (s === status) return;
    status = s;
    if (s === 'ready') for (const w of [...waiters]) w(true);
    lease(true);
  }

  /**
   * Works out the leases (lease.ts) and the stale report, re-arms the lease timer, and moves the
   * status: a lapsed lease makes a live or initializing client `stale`; hearing again (nothing
   * lapsed, a healthy socket) makes it `ready`. Emits `status` when the status or the lapsed
   * flags changed (`moved`: the status just changed).
   */
  function lease(moved = false): void {
    if (closed) return;
    clearTimeout(leaseTimer);
    const now = Date.now();
    flags.clock(now);
    const held = flags.read.snapshot().flags;
    const { lapsed, next } = checkLeases(held, flags.heardAt, now);
    if (next < Infinity) leaseTimer = setTimeout(lease, Math.min(next - now, 2e9));
    const was = stale;
    let s = status;
    if (lapsed.length && (s === 'ready' || s === 'initializing')) s = 'stale';
    else if (!lapsed.length && s === 'stale' && conn?.live()) s = 'ready';
    const lastHeardAt = heardOnce ? new Date(flags.heardAt).toISOString() : null;
    stale =
      lapsed.length || s === 'stale'
        ? { reason: lapsed.length ? 'lease_lapsed' : 'disconnected', flags: lapsed, lastHeardAt, message: staleMessage(lapsed, flags.heardAt, now) }
        : null;
    if (s !== status) return setStatus(s);
    // The lapsed flags, or whether there is a report at all, moved (one string each: smaller than two tests).
    if (moved || '' + was?.flags + !was !== '' + stale?.flags + !stale) emit(handlers.status, status, stale);
  }

  function save(): void {
    try {
      if (opts.cache) Promise.resolve(opts.cache.save(flags.read.snapshot())).catch(cacheFailed);
    } catch (err) {
      cacheFailed(err);
    }
  }

  /** A bootstrap or cached snapshot, when newer than what is held. */
  function seed(s: Snapshot | null | undefined): void {
    if (s && Array.isArray(s.flags) && s.version > flags.version) for (const key of flags.receive({ type: 'snapshot', ...s })!) emit(handlers.change, { key });
    lease();
  }

  const conn = createConnection(opts, flags, {
    up(changed) {
      if (changed.length || status !== 'ready') save();
      if (status === 'ready') lease();
      else setStatus('ready');
      for (const key of changed) emit(handlers.change, { key });
    },
    down(authFailed, reason) {
      if (authFailed) {
        statusReason = reason;
        warn('refused', reason);
        setStatus('error');
      } else if (status === 'ready') setStatus('stale');
    },
    warn,
    heard() {
      flags.heardAt = Date.now();
      heardOnce = true;
      if (stale?.flags.length) lease();
    },
  });
  const stopReporting = startReporter(opts.telemetryIntervalMs ?? 60_000, conn.live, flags.takeCounts, opts.reach);

  const client: Client = {
    get status() {
      return status;
    },
    get statusReason() {
      return status === 'error' ? statusReason : undefined;
    },
    get version() {
      return flags.version;
    },
    get stale() {
      return stale;
    },
    ready({ timeoutMs = 5000 } = {}) {
      if (status === 'ready' || closed) return Promise.resolve(status === 'ready');
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(t);
          waiters.delete(done);
          resolve(ok);
        };
        const t = setTimeout(done, timeoutMs, false);
        waiters.add(done);
      });
    },
    on(event: 'change' | 'status', handler: (arg: any, arg2?: any) => void) {
      const set: Set<(a: any, b?: any) => void> = handlers[event];
      set.add(handler);
      return () => set.delete(handler);
    },
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(leaseTimer);
      stopReporting();
      conn.close();
      for (const w of [...waiters]) w(false);
      handlers.change.clear();
      handlers.status.clear();
    },
    ...flags.read,
  };

  seed(opts.bootstrap);
  let loaded: ReturnType<SnapshotCache['load']> | undefined;
  try {
    loaded = opts.cache?.load();
  } catch (err) {
    cacheFailed(err);
  }
  if (loaded && typeof (loaded as Promise<unknown>).then === 'function') {
    (loaded as Promise<Snapshot | null | undefined>).then(seed, cacheFailed).finally(conn.open);
  } else {
    seed(loaded as Snapshot | undefined);
    void conn.open();
  }
  return client;
}
