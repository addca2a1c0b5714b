/**
 * The OFREP client, the core of the browser `createClient` (browser-client.ts, which adds the
 * `Client` API over it): for code that ships to browsers and phones with a *client* SDK key,
 * which never receives flag states (rules, allowlists, salts). It asks the
 * server for the answers for one context (OFREP bulk evaluation, `POST /ofrep/v1/evaluate/flags`)
 * and re-asks when the answer's event stream says something changed (`refetchEvaluation`), with
 * `If-None-Match`, so an unchanged answer costs a 304. No module state; nothing runs until created.
 *
 *   const flags = createOfrepClient({ url, sdkKey: 'sy_sdk_...', context: { targetingKey: user.id } });
 *   await flags.ready();
 *   flags.value('checkout-v2', 'old');
 */
import { backoffDelay } from './backoff.js';
import type { ClientStatus } from './client-types.js';
import type { OfrepAnswer, OfrepBulk, OfrepClient, OfrepClientOptions } from './ofrep-types.js';
import type { Json } from './protocol.js';

export type * from './ofrep-types.js';

/** Creates the client and asks at once; a failed ask is retried with the backoff (`reconnect`). */
export function createOfrepClient(opts: OfrepClientOptions): OfrepClient {
  const base = opts.url.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const ES = opts.EventSource ?? (globalThis as { EventSource?: OfrepClientOptions['EventSource'] }).EventSource;
  let context = opts.context;
  const warn = (what: string, detail: unknown) => opts.logger?.warn('switchyard: ' + what, detail);
  let answers = new Map((opts.bootstrap ?? cached())?.flags.map((f) => [f.key, f] as const));
  let etag: string | null = null;
  let status: ClientStatus = 'initializing';
  let reason: string | undefined;
  let stream: InstanceType<NonNullable<OfrepClientOptions['EventSource']>> | undefined;
  let streamUrl = '';
  let closed = false;
  let asking: Promise<void> | undefined;
  let again = false;
  let heardAt = 0;
  let attempt = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const handlers = { change: new Set<(e: { key: string }) => void>(), status: new Set<(s: ClientStatus) => void>() };
  const waiters = new Set<(ok: boolean) => void>();

  const emit = <A>(set: Set<(a: A) => void>, a: A) => {
    for (const h of [...set]) {
      try {
        h(a);
      } catch (err) {
        warn('listener', err);
      }
    }
  };
  const setStatus = (s: ClientStatus) => {
    if (s === status || closed) return;
    status = s;
    if (s === 'ready') for (const w of [...waiters]) w(true);
    emit(handlers.status, s);
  };

  function cached(): OfrepBulk | undefined {
    try {
      const c = opts.cache?.load();
      if (c && Array.isArray(c.flags) && c.targetingKey === context.targetingKey) return c;
    } catch (err) {
      warn('cache', err);
    }
  }

  /** A failed ask, or a stream that died for good: stale if it was live, and asked again with the backoff. */
  function lost(): void {
    if (status === 'ready') setStatus('stale');
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void refresh();
    }, backoffDelay(attempt++, Math.random, opts.reconnect));
  }

  async function ask(): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': opts.sdkKey };
    if (etag) headers['if-none-match'] = etag;
    const asked = context;
    let res: Response;
    try {
      res = await doFetch(base + '/ofrep/v1/evaluate/flags', { method: 'POST', headers, body: JSON.stringify({ context: asked }) });
    } catch {
      return lost();
    }
    if (res.status === 304) return heard();
    if (res.status === 401 || res.status === 403) {
      reason = `the server refused the SDK key (${res.status})`;
      return setStatus('error');
    }
    const body = (await res.json().catch(() => null)) as { flags?: OfrepAnswer[]; eventStreams?: Array<{ type: string; url: string }> } | null;
    if (res.status !== 200 || !Array.isArray(body?.flags)) return lost();
    const next = new Map(body.flags.map((f) => [f.key, f] as const));
    const changed = [...next.keys()].filter((k) => JSON.stringify(next.get(k)) !== JSON.stringify(answers.get(k)));
    for (const k of answers.keys()) if (!next.has(k)) changed.push(k);
    answers = next;
    etag = res.headers.get('etag');
    try {
      opts.cache?.save({ targetingKey: asked.targetingKey, flags: body.flags });
    } catch (err) {
      warn('cache', err);
    }
    follow(body.eventStreams?.find((s) => s.type === 'sse')?.url);
    heard();
    for (const key of changed) emit(handlers.change, { key });
  }

  function heard(): void {
    heardAt = Date.now();
    attempt = 0;
    setStatus('ready');
  }

  /** One request in flight; asks made meanwhile fold into one more. */
  function refresh(): Promise<void> {
    if (asking) {
      again = true;
      return asking;
    }
    asking = (async () => {
      do {
        again = false;
        await ask();
      } while (again && !closed);
    })().finally(() => (asking = undefined));
    return asking;
  }

  function follow(url: string | undefined): void {
    if (!ES || closed || !url || url === streamUrl) return;
    stream?.close();
    streamUrl = url;
    stream = new ES(url);
    stream.onmessage = (e) => {
      heardAt = Date.now();
      try {
        if ((JSON.parse(e.data) as { type?: string }).type === 'refetchEvaluation') void refresh();
      } catch {
        // not ours to read
      }
    };
    // The server is away: stale until the stream is back (an EventSource reconnects by itself and
    // its first event re-asks). A stream that fails for good (readyState 2: refused) is re-learnt
    // from the next answer, asked for with the backoff.
    stream.onerror = () => {
      if (status === 'ready') setStatus('stale');
      if (stream?.readyState === 2) (streamUrl = ''), lost();
    };
  }

  const client: OfrepClient = {
    get status() {
      return status;
    },
    get statusReason() {
      return status === 'error' ? reason : undefined;
    },
    get version() {
      return Number(etag?.match(/\d+/)?.[0] ?? 0);
    },
    get lastHeardAt() {
      return heardAt;
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
    value<T extends Json>(key: string, fallback: T): T {
      const a = answers.get(key);
      const v = a?.value;
      if (a?.errorCode || v === undefined) return fallback;
      const kind = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);
      return kind(v) === kind(fallback) ? (v as T) : fallback;
    },
    isEnabled: (key) => client.value(key, false),
    answer: (key) => answers.get(key),
    setContext(next) {
      context = next;
      etag = null;
      return refresh();
    },
    refresh,
    on(event: 'change' | 'status', handler: (a: any) => void) {
      const set: Set<(a: any) => void> = handlers[event];
      set.add(handler);
      return () => set.delete(handler);
    },
    close() {
      closed = true;
      clearTimeout(retry);
      stream?.close();
      for (const w of [...waiters]) w(false);
      handlers.change.clear();
      handlers.status.clear();
    },
  };
  void refresh();
  return client;
}
