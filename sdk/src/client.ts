/**
 * The Switchyard client: holds the flag state pushed over /sdk/stream and evaluates flags
 * locally (evaluation never touches the network). Runs in browsers (global WebSocket, no
 * Node APIs, no dependencies) and in Node 20 (pass `WebSocket` from `ws`, or it is loaded
 * lazily). Protocol: docs/protocol.md.
 */
import { evaluate as evaluateFlag, evaluateValue, lastServedOn } from './evaluate.js';
import { MAX_TELEMETRY_COUNTS, PROTOCOL_VERSION, SDK_SUBPROTOCOL, type FlagState, type ServerMessage, type Snapshot } from './protocol.js';
import { evalCounts } from './eval-counts.js';
import { backoffDelay } from './backoff.js';
import type { ChangeEvent, Client, ClientOptions, ClientStatus, SnapshotCache, WebSocketConstructor, WebSocketLike, Widen } from './client-types.js';

export { backoffDelay } from './backoff.js';
export type * from './client-types.js';

export const SDK_NAME = 'switchyard-js/0.1.0';

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
/** value()'s hot path allocates nothing: no result object, no `{}` for a missing context. */
const MISS = Symbol('miss');
const NO_CONTEXT = Object.freeze({});

/** Creates a client and starts connecting. */
export function createClient(opts: ClientOptions): Client {
  let flags = new Map<string, FlagState>();
  let version = 0;
  let status: ClientStatus = 'initializing';
  let ws: WebSocketLike | undefined;
  let connecting = false;
  let closed = false;
  let attempt = 0;
  let healthySince = 0;
  let heartbeatMs = 15_000;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const changeHandlers = new Set<(e: ChangeEvent) => void>();
  const statusHandlers = new Set<(s: ClientStatus) => void>();
  const waiters = new Set<(ok: boolean) => void>();
  const log = opts.logger;
  const rc = opts.reconnect ?? {};
  const streamUrl = opts.url.replace(/^http/, 'ws').replace(/\/+$/, '') + '/sdk/stream';
  const counts = evalCounts();

  function call<A>(handlers: Set<(a: A) => void>, arg: A): void {
    for (const h of [...handlers]) {
      try {
        h(arg);
      } catch (err) {
        log?.warn('switchyard: a listener threw', err);
      }
    }
  }

  function setStatus(s: ClientStatus): void {
    if (s === status) return;
    status = s;
    if (s === 'ready') for (const w of [...waiters]) w(true);
    call(statusHandlers, s);
  }

  /** Replaces all state; returns the keys whose definition changed. */
  function replace(s: Snapshot): string[] {
    const next = new Map(s.flags.map((f) => [f.key, f]));
    const changed: string[] = [];
    for (const [k, f] of flags) if (next.get(k)?.version !== f.version) changed.push(k);
    for (const k of next.keys()) if (!flags.has(k)) changed.push(k);
    for (const k of flags.keys()) if (!next.has(k)) counts.untrack(k);
    for (const f of s.flags) counts.track(f);
    flags = next;
    version = s.version;
    return changed;
  }

  function seed(s: Snapshot | null | undefined): void {
    if (s && Array.isArray(s.flags) && s.version > version) for (const key of replace(s)) call(changeHandlers, { key });
  }

  function save(): void {
    if (!opts.cache) return;
    try {
      Promise.resolve(opts.cache.save({ version, flags: [...flags.values()] })).catch((err) => log?.warn('switchyard: saving the cache failed', err));
    } catch (err) {
      log?.warn('switchyard: saving the cache failed', err);
    }
  }

  function arm(): void {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      log?.warn('switchyard: no heartbeat, replacing the connection');
      if (ws) drop(ws, false);
    }, opts.heartbeatTimeoutMs ?? heartbeatMs * 2 + 1000);
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
    let m: ServerMessage;
    try {
      m = JSON.parse(String(data)) as ServerMessage;
    } catch {
      return drop(sock, false);
    }
    arm();
    if (m.type === 'heartbeat') return;
    if (m.type === 'error') return log?.warn(`switchyard: server said ${m.code}: ${m.message}`);
    let changed: string[] = [];
    if (m.type === 'snapshot') changed = replace(m);
    else if (m.type === 'changes') {
      // A gap (we missed versions) cannot be patched: resync from a fresh connection.
      if (m.since > version) return drop(sock, false);
      if (m.version > version) {
        for (const f of m.flags) {
          if (flags.get(f.key)?.version !== f.version) changed.push(f.key);
          flags.set(f.key, f);
          counts.track(f);
        }
        for (const k of m.removed) {
          if (flags.delete(k)) changed.push(k);
          counts.untrack(k);
        }
        version = m.version;
      }
    } else return;
    if (m.heartbeatMs) {
      heartbeatMs = m.heartbeatMs;
      arm();
    }
    sock.send(JSON.stringify({ type: 'ack', version }));
    if (changed.length || status !== 'ready') save();
    if (!healthySince) healthySince = Date.now();
    setStatus('ready');
    for (const key of changed) call(changeHandlers, { key });
  }

  async function connect(): Promise<void> {
    retry = undefined;
    if (closed || ws || connecting) return;
    connecting = true;
    let WS = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    const isGlobal = !opts.WebSocket && !!WS;
    try {
      if (!WS) {
        const name = 'ws'; // a variable, so browser bundlers leave it alone
        WS = ((await import(name)) as { default: WebSocketConstructor }).default;
      }
    } catch (err) {
      log?.warn('switchyard: no WebSocket available: pass the `ws` package as the WebSocket option', err);
    }
    connecting = false;
    if (closed || ws || !WS) return;
    // Browsers cannot set headers: the key travels as a subprotocol, never in the URL.
    const sock = isGlobal
      ? new WS(streamUrl, [SDK_SUBPROTOCOL, `sdk-key.${opts.sdkKey}`])
      : new WS(streamUrl, [SDK_SUBPROTOCOL], { headers: { authorization: `Bearer ${opts.sdkKey}` } });
    ws = sock;
    let authFailed = false;
    sock.onopen = () => sock.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, version, sdk: SDK_NAME }));
    sock.onmessage = (ev) => {
      try {
        onMessage(sock, ev.data);
      } catch (err) {
        log?.warn('switchyard: bad message from the server, reconnecting', err);
        drop(sock, false);
      }
    };
    sock.onerror = (ev) => {
      // `ws` reports a refused upgrade as "Unexpected server response: 401".
      if (/\b40[13]\b/.test(String(ev?.message ?? ev?.error?.message))) authFailed = true;
    };
    sock.onclose = (ev) => drop(sock, authFailed || ev.code === 4401);
    arm();
  }

  const client: Client = {
    get status() {
      return status;
    },
    get version() {
      return version;
    },
    ready({ timeoutMs = 5000 } = {}) {
      if (status === 'ready') return Promise.resolve(true);
      if (closed) return Promise.resolve(false);
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
    isEnabled: (key, context) => client.value(key, context, false),
    value(key, context, fallback) {
      const v = evaluateValue(flags.get(key), context ?? NO_CONTEXT, MISS);
      const fb = v === MISS || kind(v) !== kind(fallback);
      const c = counts.get(key);
      if (c) fb ? c.fallback++ : lastServedOn() ? c.on++ : c.off++;
      return (fb ? fallback : v) as Widen<typeof fallback>;
    },
    evaluate(key, context) {
      const r = evaluateFlag(flags.get(key), context ?? {});
      const c = counts.get(key);
      if (c) r.reason === 'ERROR' ? c.fallback++ : r.reason === 'ROLLOUT_IN' ? c.on++ : c.off++;
      return r;
    },
    snapshot: () => ({ version, flags: [...flags.values()] }),
    on(event: 'change' | 'status', handler: (arg: any) => void) {
      const set: Set<(a: any) => void> = event === 'change' ? changeHandlers : statusHandlers;
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
      changeHandlers.clear();
      statusHandlers.clear();
    },
  };

  /** Sends the counts since the last report over the live socket; while offline they keep adding up. */
  function report(): void {
    if (status !== 'ready' || !ws || ws.readyState !== 1) return;
    const all = counts.take();
    for (let i = 0; i < all.length; i += MAX_TELEMETRY_COUNTS) ws.send(JSON.stringify({ type: 'telemetry', counts: all.slice(i, i + MAX_TELEMETRY_COUNTS) }));
    counts.reset();
  }
  const every = opts.telemetryIntervalMs ?? 60_000;
  const telemetry = every > 0 ? setInterval(report, every) : undefined;
  (telemetry as { unref?: () => void } | undefined)?.unref?.();

  seed(opts.bootstrap);
  let loaded: ReturnType<SnapshotCache['load']> | undefined;
  try {
    loaded = opts.cache?.load();
  } catch (err) {
    log?.warn('switchyard: loading the cache failed', err);
  }
  if (loaded && typeof (loaded as Promise<unknown>).then === 'function') {
    (loaded as Promise<Snapshot | null | undefined>).then(seed, (err) => log?.warn('switchyard: loading the cache failed', err)).finally(connect);
  } else {
    seed(loaded as Snapshot | undefined);
    void connect();
  }
  return client;
}
