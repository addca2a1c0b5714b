/**
 * The browser `createClient` (sdk/src/browser-client.ts: what a browser bundler resolves for
 * `@switchyard-flags/sdk`) against a real server on port 0, through its OFREP endpoints and its
 * real event stream, with a client key: one context, the server's answers, a kill told by the
 * stream, a changed context asked again. In Chromium: test/e2e/ofrep-web.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type BrowserClient, type BrowserClientOptions } from '../sdk/src/browser-client.js';
import type { CachedAnswers } from '../sdk/src/ofrep-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { startProxy, type Proxy } from './helpers/push-client.js';
import { putPlan, signAndAdvance } from './rollout-fixtures.js';

/**
 * Enough of a browser's EventSource over Node 20's fetch (which has none): `data:` lines to
 * `onmessage`, `onerror` when the stream ends or cannot be opened, then a reconnect after 100 ms
 * (readyState 0), or readyState 2 for good on a non-200 answer, as the browser's does.
 */
class NodeEventSource {
  readyState = 0;
  onmessage: ((e: { data: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  private readonly abort = new AbortController();
  constructor(readonly url: string) {
    void this.run();
  }
  private async run(): Promise<void> {
    while (this.readyState !== 2) {
      try {
        const res = await fetch(this.url, { signal: this.abort.signal });
        if (res.status !== 200) {
          this.readyState = 2;
          this.onerror?.();
          return;
        }
        this.readyState = 1;
        const decoder = new TextDecoder();
        let buffer = '';
        const reader = res.body!.getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) {
          buffer += decoder.decode(r.value, { stream: true });
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const data = buffer.slice(0, end).split('\n').find((l) => l.startsWith('data:'));
            buffer = buffer.slice(end + 2);
            if (data && this.readyState === 1) this.onmessage?.({ data: data.slice(5).trim() });
          }
        }
      } catch {
        // ended or cut: reconnect below
      }
      if (this.readyState === 2) return;
      this.readyState = 0;
      this.onerror?.();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  close(): void {
    this.readyState = 2;
    this.abort.abort();
  }
}

describe('the browser createClient on a client key, against a real server', () => {
  let ts: TestServer;
  let clientKey: string;
  const clients: BrowserClient[] = [];
  const open = (o: Partial<BrowserClientOptions> & { context: BrowserClientOptions['context'] }) => {
    const c = createClient({ url: ts.url, sdkKey: clientKey, EventSource: NodeEventSource, reconnect: { initialMs: 50, maxMs: 200 }, ...o });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    ts = await startTestServer();
    // Pro users only, all of them: the answer depends on the context, which the client never evaluates itself.
    await createFlag(ts, 'checkout-v2', { on: 'new-checkout', off: 'old-checkout' });
    expect((await putPlan(ts, 'checkout-v2', { cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }], stages: [{ percent: 100 }], reason: 'pro first' })).status).toBe(200);
    await signAndAdvance(ts, 'checkout-v2');
    await createFlag(ts, 'dark-mode', { on: true, off: false });
    clientKey = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'shop-web', kind: 'client' } })).body.key;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await ts?.close();
  });

  it("serves its one context's answers from value, isEnabled and evaluate, whatever context a call passes, and says so once in the log", async () => {
    const warnings: unknown[][] = [];
    const flags = open({ context: { key: 'u1', plan: 'pro' }, logger: { warn: (...a) => warnings.push(a) } });
    expect(await flags.ready()).toBe(true);
    expect(flags.status).toBe('ready');
    expect(flags.value('checkout-v2', { key: 'u1', plan: 'pro' }, 'fallback')).toBe('new-checkout');
    expect(flags.evaluate('checkout-v2')).toEqual({ value: 'new-checkout', reason: 'ROLLOUT_IN', flagVersion: expect.any(Number) });
    expect(flags.isEnabled('dark-mode')).toBe(false);
    expect(flags.evaluate('dark-mode').reason).toBe('NOT_STARTED');
    expect(flags.evaluate('no-such-flag')).toEqual({ value: null, reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' });
    expect(flags.value('checkout-v2', undefined, 42)).toBe(42); // another type than the fallback's
    expect(flags.version).toBeGreaterThan(0);
    // Static context: another user's ctx is not evaluated; the answer stays the client's user's.
    expect(warnings).toEqual([]);
    expect(flags.value('checkout-v2', { key: 'u2', plan: 'free' }, 'fallback')).toBe('new-checkout');
    expect(flags.evaluate('checkout-v2', { key: 'u3' }).reason).toBe('ROLLOUT_IN');
    expect(warnings).toEqual([['switchyard: context', 'u2']]);
  });

  it('hears a kill through the event stream (the off value, reason KILLED, a change event), and a changed context asks again for its own answers', async () => {
    const flags = open({ context: { key: 'u1', plan: 'pro' } });
    const changes: Array<{ key: string; value: string }> = [];
    flags.on('change', ({ key }) => changes.push({ key, value: flags.value(key, undefined, 'fallback') }));
    expect(await flags.ready()).toBe(true);
    await expect.poll(() => ts.running.services.ofrep.events.size, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const before = flags.version;
    expect((await ts.api('POST', '/api/flags/checkout-v2/kill', { as: 'oncall', body: { reason: 'payment errors' } })).status).toBe(200);
    await expect.poll(() => changes, { timeout: 10_000 }).toContainEqual({ key: 'checkout-v2', value: 'old-checkout' });
    expect(flags.evaluate('checkout-v2').reason).toBe('KILLED');
    expect(flags.version).toBeGreaterThan(before);
    expect((await ts.api('POST', '/api/flags/checkout-v2/restore', { as: 'oncall', body: { reason: 'fixed' } })).status).toBe(200);
    await expect.poll(() => flags.value('checkout-v2', undefined, 'fallback'), { timeout: 10_000 }).toBe('new-checkout');

    changes.length = 0;
    await flags.setContext({ key: 'u9', plan: 'free' });
    expect(flags.context).toEqual({ key: 'u9', plan: 'free' });
    expect(flags.evaluate('checkout-v2')).toMatchObject({ value: 'old-checkout', reason: 'COHORT_MISS' });
    expect(changes).toEqual([{ key: 'checkout-v2', value: 'old-checkout' }]);
    expect(flags.status).toBe('ready');
  });

  it('serves its bootstrap answers before the first answer arrives, then the server’s', async () => {
    const bootstrap = { flags: [{ key: 'checkout-v2', value: 'from-the-page', reason: 'TARGETING_MATCH', variant: 'on', metadata: { switchyardReason: 'ROLLOUT_IN' } }] };
    const flags = open({ context: { key: 'u1', plan: 'pro' }, bootstrap });
    expect(flags.status).toBe('initializing');
    expect(flags.value('checkout-v2', undefined, 'fallback')).toBe('from-the-page');
    expect(await flags.ready()).toBe(true);
    expect(flags.value('checkout-v2', undefined, 'fallback')).toBe('new-checkout');
  });

  it('says status error with the reason for a refused key, and never ready', async () => {
    const flags = open({ context: { key: 'u1' }, sdkKey: 'sy_sdk_not-a-key' });
    const statuses: string[] = [];
    flags.on('status', (s) => statuses.push(s));
    await expect.poll(() => flags.status, { timeout: 10_000 }).toBe('error');
    expect(flags.statusReason).toMatch(/refused the SDK key \(401\)/);
    expect(flags.value('checkout-v2', undefined, 'fallback')).toBe('fallback');
    expect(statuses).toEqual(['error']);
  });
});

describe('the browser createClient when the server is away', () => {
  let ts: TestServer;
  let proxy: Proxy;
  let clientKey: string;

  beforeAll(async () => {
    ts = await startTestServer();
    proxy = await startProxy(ts.running.port);
    // Answers and event streams both through the proxy, as a browser behind one network path.
    ts.running.services.ofrep.events.baseUrl = proxy.url;
    await createFlag(ts, 'checkout-v2', { on: 'new-checkout', off: 'old-checkout' });
    clientKey = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'shop-web', kind: 'client' } })).body.key;
  });
  afterAll(async () => {
    await proxy?.close();
    await ts?.close();
  });

  it('goes stale serving its last answers when the stream drops, reports when it last heard, and is ready again once the stream is back', async () => {
    const flags = createClient({ url: proxy.url, sdkKey: clientKey, context: { key: 'u1' }, EventSource: NodeEventSource });
    try {
      const statuses: Array<[string, unknown]> = [];
      flags.on('status', (s, stale) => statuses.push([s, stale]));
      expect(await flags.ready()).toBe(true);
      await expect.poll(() => ts.running.services.ofrep.events.size, { timeout: 10_000 }).toBe(1);
      expect(flags.stale).toBeNull();

      proxy.blackhole = true;
      proxy.cut();
      await expect.poll(() => flags.status, { timeout: 10_000 }).toBe('stale');
      expect(flags.stale).toEqual({ reason: 'disconnected', flags: [], lastHeardAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), message: expect.any(String) });
      expect(statuses).toEqual([['ready', null], ['stale', flags.stale]]);
      expect(flags.value('checkout-v2', undefined, 'fallback')).toBe('old-checkout');

      proxy.blackhole = false;
      proxy.cut(); // the reconnect that hung in the blackhole fails now, and the next one gets through
      await expect.poll(() => flags.status, { timeout: 10_000 }).toBe('ready');
      expect(flags.stale).toBeNull();
      expect(statuses.at(-1)).toEqual(['ready', null]);
    } finally {
      flags.close();
    }
  });

  it("a reloaded page serves the answers its cache kept for the same user while the server cannot be reached, and never another user's", async () => {
    const stored: CachedAnswers[] = [];
    const cache = { load: () => stored.at(-1), save: (a: CachedAnswers) => void stored.push(structuredClone(a)) };
    const first = createClient({ url: proxy.url, sdkKey: clientKey, context: { key: 'u1', plan: 'pro', email: 'u1@acme.example' }, cache });
    expect(await first.ready()).toBe(true);
    first.close();
    // The answers and the user key they were for; no other attribute of the context.
    expect(stored.at(-1)).toEqual({ targetingKey: 'u1', flags: [expect.objectContaining({ key: 'checkout-v2', value: 'old-checkout' })] });

    proxy.blackhole = true;
    try {
      const reloaded = createClient({ url: proxy.url, sdkKey: clientKey, context: { key: 'u1', plan: 'pro' }, cache });
      const other = createClient({ url: proxy.url, sdkKey: clientKey, context: { key: 'u2' }, cache });
      expect(reloaded.status).toBe('initializing');
      expect(reloaded.value('checkout-v2', undefined, 'fallback')).toBe('old-checkout');
      expect(other.value('checkout-v2', undefined, 'fallback')).toBe('fallback');
      reloaded.close();
      other.close();
    } finally {
      proxy.blackhole = false;
      proxy.cut();
    }
  });

  it('keeps asking with the backoff when the server cannot be reached at start: initializing and fallbacks, then ready once it answers', async () => {
    proxy.blackhole = true;
    const flags = createClient({ url: proxy.url, sdkKey: clientKey, context: { key: 'u1' }, EventSource: NodeEventSource, reconnect: { initialMs: 50, maxMs: 100 } });
    try {
      // the first ask hangs in the blackhole; cutting it makes it fail, and the retries begin
      await expect.poll(() => proxy.connections(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      proxy.blackhole = false;
      proxy.cut();
      expect(flags.status).toBe('initializing');
      expect(flags.value('checkout-v2', undefined, 'fallback')).toBe('fallback');
      expect(await flags.ready({ timeoutMs: 10_000 })).toBe(true);
      expect(flags.value('checkout-v2', undefined, 'fallback')).toBe('old-checkout');
    } finally {
      flags.close();
    }
  });
});
