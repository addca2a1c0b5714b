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
import type { ChangeEvent, Client, ClientOptions, ClientStatus, SnapshotCache } from './client-types.js';
import { createConnection } from './connection.js';
import { createFlags } from './flag-state.js';
import type { Snapshot } from './protocol.js';
import { startReporter } from './telemetry-reporter.js';

export { backoffDelay } from './backoff.js';
export { SDK_NAME } from './connection.js';
export type * from './client-types.js';

/** Creates a client and starts connecting. Log messages are short codes, listed in docs/sdk.md. */
export function createClient(opts: ClientOptions): Client {
  let status: ClientStatus = 'initializing';
  let statusReason: string | undefined;
  let closed = false;
  const handlers = { change: new Set<(e: ChangeEvent) => void>(), status: new Set<(s: ClientStatus) => void>() };
  const waiters = new Set<(ok: boolean) => void>();
  const flags = createFlags(opts.reach);
  const warn = (what: string, detail?: unknown) => opts.logger?.warn('switchyard: ' + what, detail);
  const cacheFailed = (err: unknown) => warn('cache', err);

  function emit<A>(set: Set<(a: A) => void>, arg: A): void {
    for (const h of [...set]) {
      try {
        h(arg);
      } catch (err) {
        warn('listener', err);
      }
    }
  }

  function setStatus(s: ClientStatus): void {
    if (s === status) return;
    status = s;
    if (s === 'ready') for (const w of [...waiters]) w(true);
    emit(handlers.status, s);
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
  }

  const conn = createConnection(opts, flags, {
    up(changed) {
      if (changed.length || status !== 'ready') save();
      setStatus('ready');
      for (const key of changed) emit(handlers.change, { key });
    },
    down(authFailed, reason) {
      if (authFailed) {
        statusReason = reason;
        if (reason) warn('refused', reason);
        setStatus('error');
      } else if (status === 'ready') setStatus('stale');
    },
    warn,
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
    on(event: 'change' | 'status', handler: (arg: any) => void) {
      const set: Set<(a: any) => void> = handlers[event];
      set.add(handler);
      return () => set.delete(handler);
    },
    close() {
      if (closed) return;
      closed = true;
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
