/**
 * The Switchyard client: holds the flag state pushed over /sdk/stream and evaluates flags
 * locally (evaluation never touches the network). Runs in browsers (global WebSocket, no
 * Node APIs, no dependencies) and in Node 20 (pass `WebSocket` from `ws`, or it is loaded
 * lazily). Protocol: docs/protocol.md.
 */
import { explain, PreparedFlag, serve } from './evaluate.js';
import { MAX_TELEMETRY_COUNTS, PROTOCOL_VERSION, SDK_SUBPROTOCOL, type EvaluationContext, type FlagState, type Json, type ServerMessage, type Snapshot, type TelemetryCount } from './protocol.js';
import { carry, takeCounts } from './eval-counts.js';
import { backoffDelay } from './backoff.js';
import type { HashOut } from './bucket.js';
import type { ChangeEvent, Client, ClientOptions, ClientStatus, SnapshotCache, WebSocketConstructor, WebSocketLike } from './client-types.js';

export { backoffDelay } from './backoff.js';
export type * from './client-types.js';

export const SDK_NAME = 'switchyard-js/0.1.0';

/** Of two objects: null, an array, or another object (a flag serves a fallback's kind, or the fallback is served). */
const kind = (v: unknown) => (v === null ? 0 : Array.isArray(v) ? 1 : 2);
/** value()'s hot path allocates nothing, not even `{}` for a missing context (never handed out, only read: not frozen, a few bytes less). */
const NO_CONTEXT: EvaluationContext = {};
/** After the I/O already queued: `setImmediate` (Node), else a zero timeout (browsers). */
const soon: (fn: () => void) => unknown = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate ?? ((fn) => setTimeout(fn));
/** Node 20 has no global WebSocket: `ws`, imported by a parameter so browser bundlers neither resolve nor bundle it. */
const loadWs = (name = 'ws'): Promise<WebSocketConstructor> => import(name).then((m: { default: WebSocketConstructor }) => m.default);

/** Creates a client and starts connecting. Log messages are short codes, listed in docs/sdk.md. */
export function createClient(opts: ClientOptions): Client {
  let flags = new Map<string, PreparedFlag>();
  let version = 0;
  let status: ClientStatus = 'initializing';
  let ws: WebSocketLike | undefined;
  let connecting = false;
  let closed = false;
  let attempt = 0;
  let healthySince = 0;
  let heartbeatMs = 15_000;
  let heard = 0;
  /** The socket an acknowledgement is scheduled on (one per socket, of the latest version). */
  let acking: WebSocketLike | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const handlers = { change: new Set<(e: ChangeEvent) => void>(), status: new Set<(s: ClientStatus) => void>() };
  const waiters = new Set<(ok: boolean) => void>();
  /** Counts of flag states replaced at another stage or removed, until the next report. */
  const aside: TelemetryCount[] = [];
  const rc = opts.reconnect ?? {};
  /** The hash the last evaluation that bucketed a key computed, for the reach sketch. */
  const hashed: HashOut = { hash: 0 };

  const streamUrl = opts.url.replace(/^http/, 'ws').replace(/\/+$/, '') + '/sdk/stream';
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

  /**
   * Applies flag states at version `v`: a snapshot (`removed` undefined: replaces everything)
   * or changes (replace by key, delete `removed`). Returns the keys whose definition changed.
   */
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

  function seed(s: Snapshot | null | undefined): void {
    if (s && Array.isArray(s.flags) && s.version > version) for (const key of apply(s.flags, undefined, s.version)) emit(handlers.change, { key });
  }

  const snapshot = (): Snapshot => ({ version, flags: [...flags.values()].map((p) => p.f) });

  function save(): void {
    try {
      if (opts.cache) Promise.resolve(opts.cache.save(snapshot())).catch(cacheFailed);
    } catch (err) {
      cacheFailed(err);
    }
  }

  /** The heartbeat watchdog: one timer, re-armed only when it fires (a message just notes the time). */
  function arm(): void {
    clearTimeout(watchdog);
    const left = heard + (opts.heartbeatTimeoutMs ?? heartbeatMs * 2 + 1000) - Date.now();
    if (left > 0) watchdog = setTimeout(arm, left);
    else if (ws) {
      warn('no heartbeat');
      drop(ws, false);
    }
  }

  /** Detaches and closes a socket, then schedules the next attempt. */
  function drop(sock: WebSocketLike, authFailed: boolean): void {
    if (sock !== ws) return;
    ws = undefined;
    clearTimeout(watchdog);
    sock.onopen = sock.onmessage = sock.onclose = null;
    sock.onerror = () => {}; // `ws` throws on an error event nobody listens to
    try {
      if (sock.terminate) sock.terminate();
      else sock.close();
    } catch {
      // already closed
    }
    if (closed) return;
    if (authFailed) setStatus('error');
    else if (status === 'ready') setStatus('stale');
    if (healthySince && Date.now() - healthySince >= (rc.resetAfterMs ?? 60_000)) attempt = 0;
    healthySince = 0;
    if (authFailed) attempt = 30;
    retry = setTimeout(connect, backoffDelay(attempt++, opts.random, rc));
  }

  function onMessage(sock: WebSocketLike, data: unknown): void {
    const m = JSON.parse(String(data)) as ServerMessage;
    heard = Date.now();
    let changed: string[] = [];
    if (m.type === 'snapshot') changed = apply(m.flags, undefined, m.version);
    else if (m.type === 'changes') {
      // A gap (we missed versions) cannot be patched: resync from a fresh connection.
      if (m.since > version) return drop(sock, false);
      if (m.version > version) changed = apply(m.flags, m.removed, m.version);
    } else {
      if (m.type === 'error') warn('server: ' + m.code, m.message);
      return; // and heartbeats
    }
    if (m.heartbeatMs) {
      heartbeatMs = m.heartbeatMs;
      arm();
    }
    if (changed.length || status !== 'ready') save();
    healthySince ||= heard;
    setStatus('ready');
    for (const key of changed) emit(handlers.change, { key });
    // The acknowledgement is written after the I/O already queued: the app sees the change first,
    // and a process holding many clients applies all of a broadcast before it writes the acks.
    if (acking !== sock) {
      acking = sock;
      soon(() => {
        acking = undefined;
        if (sock === ws) sock.send('{"type":"ack","version":' + version + '}');
      });
    }
  }

  async function connect(): Promise<void> {
    retry = undefined;
    if (closed || ws || connecting) return;
    connecting = true;
    let WS = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    const isGlobal = !opts.WebSocket && !!WS;
    WS ??= await loadWs().catch((err) => void warn('no WebSocket', err));
    connecting = false;
    if (closed || ws || !WS) return;
    // Browsers cannot set headers: the key travels as a subprotocol, never in the URL.
    const sock = isGlobal
      ? new WS(streamUrl, [SDK_SUBPROTOCOL, 'sdk-key.' + opts.sdkKey])
      : new WS(streamUrl, [SDK_SUBPROTOCOL], { headers: { authorization: 'Bearer ' + opts.sdkKey } });
    ws = sock;
    let authFailed = false;
    sock.onopen = () => sock.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, version, sdk: SDK_NAME }));
    sock.onmessage = (ev) => {
      try {
        onMessage(sock, ev.data);
      } catch (err) {
        warn('bad message', err);
        drop(sock, false);
      }
    };
    sock.onerror = (ev) => {
      // `ws` reports a refused upgrade as "Unexpected server response: 401".
      if (/\b40[13]\b/.test(String(ev?.message ?? ev?.error?.message))) authFailed = true;
    };
    sock.onclose = (ev) => drop(sock, authFailed || ev.code === 4401);
    heard = Date.now();
    arm();
  }

  /** The hot path: one Map lookup, the prepared flag's checks, the hash, a counter; no allocation. */
  function value(key: string, context: EvaluationContext | undefined, fallback: Json): Json {
    const p = flags.get(key);
    if (p === undefined) return fallback;
    const s = serve(p, context ?? NO_CONTEXT, hashed);
    const v = s > 0 ? p.on : p.off;
    if (s < 0 || typeof v !== typeof fallback || (typeof v === 'object' && kind(v) !== kind(fallback))) {
      p.nf++;
      return fallback;
    }
    if (s > 0) p.n1++, opts.reach?.add(p, context, hashed.hash);
    else p.n0++;
    return v;
  }

  const client: Client = {
    get status() {
      return status;
    },
    get version() {
      return version;
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
    isEnabled: (key, context) => value(key, context, false) as boolean,
    value: value as Client['value'],
    evaluate(key, context) {
      const p = flags.get(key);
      const r = explain(p, context ?? NO_CONTEXT, hashed);
      if (!p) return r;
      if (r.reason === 'ERROR') p.nf++;
      else if (r.reason === 'ROLLOUT_IN') p.n1++, opts.reach?.add(p, context, hashed.hash);
      else p.n0++;
      return r;
    },
    snapshot,
    on(event: 'change' | 'status', handler: (arg: any) => void) {
      const set: Set<(a: any) => void> = handlers[event];
      set.add(handler);
      return () => set.delete(handler);
    },
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(retry);
      clearInterval(telemetry);
      if (ws) drop(ws, false);
      for (const w of [...waiters]) w(false);
      handlers.change.clear();
      handlers.status.clear();
    },
  };

  /** Sends the counts since the last report over the live socket; while offline they keep adding up. */
  function report(): void {
    if (status !== 'ready' || !ws || ws.readyState !== 1) return;
    opts.reach?.send(ws);
    const all = takeCounts(flags.values(), aside);
    for (let i = 0; i < all.length; i += MAX_TELEMETRY_COUNTS) ws.send(JSON.stringify({ type: 'telemetry', counts: all.slice(i, i + MAX_TELEMETRY_COUNTS) }));
  }
  const every = opts.telemetryIntervalMs ?? 60_000;
  const telemetry = every > 0 ? setInterval(report, every) : undefined;
  (telemetry as { unref?: () => void } | undefined)?.unref?.();

  seed(opts.bootstrap);
  let loaded: ReturnType<SnapshotCache['load']> | undefined;
  try {
    loaded = opts.cache?.load();
  } catch (err) {
    cacheFailed(err);
  }
  if (loaded && typeof (loaded as Promise<unknown>).then === 'function') {
    (loaded as Promise<Snapshot | null | undefined>).then(seed, cacheFailed).finally(connect);
  } else {
    seed(loaded as Snapshot | undefined);
    void connect();
  }
  return client;
}
