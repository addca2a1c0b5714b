import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from '../helpers/server.js';
import { putPlan, signAndAdvance } from '../rollout-fixtures.js';
import { browserOrSkip, buildUi, INSTALL_HINT, launch, signIn } from './browser.js';

/**
 * A page on another origin runs OpenFeature's own web SDK (`@openfeature/web-sdk`) with its own
 * OFREP web provider (`@openfeature/ofrep-web-provider`), bundled as an app would bundle them,
 * against a real server that allows that origin (ALLOWED_ORIGINS). Nobody here wrote either.
 */
const APP = `
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
// Resolved as an app's bundler resolves them (platform browser): '@switchyard-flags/sdk' is the
// client-key createClient (browser.ts); '/local' the local evaluator, for a server key.
import { createClient, createOfrepClient, localStorageCache } from '@switchyard-flags/sdk';
import { createClient as createLocalClient } from '@switchyard-flags/sdk/local';
window.seen = [];
/** Switchyard's browser createClient on a client key: one context, answers over OFREP, kept live by the event stream. */
window.browserClient = async (url, sdkKey) => {
  const flags = createClient({ url, sdkKey, context: { key: 'user-1', plan: 'free' }, cache: localStorageCache() });
  window.events = [];
  flags.on('change', ({ key }) => window.events.push({ key, value: flags.value(key, undefined, 'fallback') }));
  flags.on('status', (status) => window.events.push({ status }));
  window.client = flags;
  const ok = await flags.ready();
  return { ok, status: flags.status, checkout: flags.evaluate('checkout-v2'), inbox: flags.value('pro-inbox', { key: 'user-1' }, 'fallback'), stored: JSON.parse(localStorage.getItem('switchyard.answers')) };
};
/** Switchyard's browser SDK in client-key mode: answers for one context over OFREP, following its event stream. */
window.clientMode = async (url, sdkKey) => {
  const flags = createOfrepClient({ url, sdkKey, context: { targetingKey: 'user-1', plan: 'pro' } });
  window.changes = [];
  flags.on('change', ({ key }) => window.changes.push({ key, value: flags.value(key, 'fallback') }));
  window.flags = flags;
  const ok = await flags.ready();
  return { ok, value: flags.value('checkout-v2', 'fallback'), answer: flags.answer('checkout-v2') };
};
/** Switchyard's local evaluator in a browser (a server key): the status it settles on, and why. */
window.switchyard = (url, sdkKey) =>
  new Promise((resolve) => {
    const client = createLocalClient({ url, sdkKey, reconnect: { initialMs: 50, maxMs: 200 } });
    const settle = (status) => status !== 'initializing' && (resolve({ status, reason: client.statusReason }), client.close());
    client.on('status', settle);
    settle(client.status);
  });
window.start = async (baseUrl, apiKey) => {
  const provider = new OFREPWebProvider({ baseUrl, headers: [['X-API-Key', apiKey]], pollInterval: 0, changeDetection: 'sse', cacheMode: 'network-first' });
  await OpenFeature.setContext({ targetingKey: 'user-1', plan: 'pro' });
  await OpenFeature.setProviderAndWait(provider);
  const client = OpenFeature.getClient();
  client.addHandler(ProviderEvents.ConfigurationChanged, (d) => {
    window.seen.push({ event: 'PROVIDER_CONFIGURATION_CHANGED', flagsChanged: d.flagsChanged, value: client.getStringDetails('checkout-v2', 'fallback') });
  });
  return client.getStringDetails('checkout-v2', 'fallback');
};
`;

const { executable, mustFail } = browserOrSkip();

describe.runIf(mustFail)('the OFREP web provider in Chromium: browser tests in CI', () => {
  it('need a Chromium browser', () => {
    throw new Error(`no Chromium found. ${INSTALL_HINT}`);
  });
});

describe.skipIf(!executable)('the OFREP web provider in Chromium, from a page on another origin', () => {
  let ts: TestServer;
  let page: http.Server;
  let pageOrigin: string;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let clientKey: string;
  /** The paths the page server answered, in order. */
  const served: string[] = [];

  beforeAll(async () => {
    // Split as an app's bundler splits it: the SDK's refusal diagnosis (diagnose.ts) is a chunk of
    // its own, which the page fetches only after a refused socket (bench/size.mjs counts it out).
    const bundle = await build({ stdin: { contents: APP, resolveDir: process.cwd(), loader: 'js', sourcefile: 'app.js' }, bundle: true, format: 'esm', platform: 'browser', conditions: ['switchyard-source'], write: false, minify: true, splitting: true, outdir: '/out', entryNames: 'app' });
    const files = new Map(bundle.outputFiles.map((f) => ['/' + path.basename(f.path), f.text]));
    expect([...files.keys()].some((f) => f.startsWith('/diagnose-'))).toBe(true);
    page = http.createServer((req, res) => {
      served.push(req.url!);
      if (files.has(req.url!)) res.writeHead(200, { 'content-type': 'text/javascript' }).end(files.get(req.url!));
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>shop</title><script type="module" src="/app.js"></script>');
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`;
    ts = await startTestServer({ config: { allowedOrigins: [pageOrigin] } });
    await createFlag(ts, 'checkout-v2', { on: 'new-checkout', off: 'old-checkout' });
    expect((await putPlan(ts, 'checkout-v2', { stages: [{ percent: 100 }], reason: 'everyone' })).status).toBe(200);
    await signAndAdvance(ts, 'checkout-v2');
    clientKey = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'shop-web', kind: 'client' } })).body.key;
    ({ browser, close: closeBrowser } = await launch(executable!));
  });
  afterAll(async () => {
    await closeBrowser?.();
    await ts?.close();
    await new Promise((r) => page?.close(r));
  });

  it('serves the evaluated value, then the off value within moments of a kill, told by the event stream', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await tab.goto(pageOrigin);
    await tab.waitForFunction(() => typeof (window as any).start === 'function');
    const first = await tab.evaluate(([url, key]) => (window as any).start(url, key), [ts.url, clientKey] as const);
    expect(first).toMatchObject({ value: 'new-checkout', reason: 'STATIC', variant: 'on' });
    expect(new URL(ts.url).origin).not.toBe(pageOrigin);

    // The event stream is open before the kill: the server counts it.
    await expect.poll(() => ts.running.services.ofrep.events.size, { timeout: 10_000 }).toBe(1);
    const kill = await ts.api('POST', '/api/flags/checkout-v2/kill', { as: 'oncall', body: { reason: 'payment errors' } });
    expect(kill.status).toBe(200);
    await tab.waitForFunction(() => (window as any).seen.some((e: any) => e.flagsChanged.includes('checkout-v2')), undefined, { timeout: 10_000 });
    const seen: any[] = await tab.evaluate(() => (window as any).seen);
    // The provider may also emit a change event with no flags (a re-fetch that found nothing new): the kill's is the one naming the flag.
    expect(seen.find((e) => e.flagsChanged.includes('checkout-v2'))).toMatchObject({ event: 'PROVIDER_CONFIGURATION_CHANGED', value: { value: 'old-checkout', reason: 'DISABLED' } });
    expect(await tab.evaluate(() => (window as any).seen.at(-1).value.value)).toBe('old-checkout');
    expect(errors).toEqual([]);
    await context.close();
  });

  it("@switchyard-flags/sdk/local in a browser says status error with the reason, instead of staying initializing, when its origin or its key is refused", async () => {
    const serverKey = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'shop-ssr' } })).body.key;
    const run = async (origin: string, key: string) => {
      const context = await browser.newContext();
      const tab = await context.newPage();
      await tab.goto(origin);
      await tab.waitForFunction(() => typeof (window as any).switchyard === 'function');
      const out = await tab.evaluate(([url, k]) => (window as any).switchyard(url, k), [ts.url, key] as const);
      await context.close();
      return out;
    };
    const other = `http://127.0.0.1:${(page.address() as AddressInfo).port}`; // the same page on an origin not allowed
    const diagnoses = () => served.filter((u) => u.startsWith('/diagnose-')).length;
    expect(await run(other, serverKey)).toEqual({ status: 'error', reason: 'origin not in ALLOWED_ORIGINS' });
    expect(await run(pageOrigin, clientKey)).toMatchObject({ status: 'error', reason: expect.stringContaining('/ofrep/v1/evaluate/flags') });
    // Each refused page fetched the diagnosis chunk; a page whose socket opens never does.
    const fetched = diagnoses();
    expect(fetched).toBe(2);
    expect(await run(pageOrigin, serverKey)).toEqual({ status: 'ready' });
    expect(diagnoses()).toBe(fetched);
  });

  it("@switchyard-flags/sdk's client-key mode gets its answer over OFREP and the off value after a kill, told by the event stream", async () => {
    await ts.api('POST', '/api/flags/checkout-v2/restore', { as: 'oncall', body: { reason: 'client mode' } });
    const context = await browser.newContext();
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(pageOrigin);
    await tab.waitForFunction(() => typeof (window as any).clientMode === 'function');
    let first = await tab.evaluate(([url, key]) => (window as any).clientMode(url, key), [ts.url, clientKey] as const);
    expect(first).toMatchObject({ ok: true, value: 'new-checkout', answer: { reason: 'STATIC', variant: 'on' } });
    await expect.poll(() => ts.running.services.ofrep.events.size, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const kill = await ts.api('POST', '/api/flags/checkout-v2/kill', { as: 'oncall', body: { reason: 'client mode kill' } });
    expect(kill.status).toBe(200);
    await tab.waitForFunction(() => (window as any).changes.some((c: any) => c.key === 'checkout-v2' && c.value === 'old-checkout'), undefined, { timeout: 10_000 });
    expect(await tab.evaluate(() => (window as any).flags.answer('checkout-v2').reason)).toBe('DISABLED');
    expect(errors).toEqual([]);
    first = null;
    await context.close();
  });

  it("@switchyard-flags/sdk's createClient in a browser on a client key serves its one context's answers, the off value after a kill told by the event stream, and its new context's answers after setContext", async () => {
    await ts.api('POST', '/api/flags/checkout-v2/restore', { as: 'oncall', body: { reason: 'browser client' } });
    await createFlag(ts, 'pro-inbox', { on: 'new-inbox', off: 'old-inbox' });
    expect((await putPlan(ts, 'pro-inbox', { cohort: [{ attr: 'plan', op: 'in', values: ['pro'] }], stages: [{ percent: 100 }], reason: 'pro only' })).status).toBe(200);
    await signAndAdvance(ts, 'pro-inbox');
    const context = await browser.newContext();
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(pageOrigin);
    await tab.waitForFunction(() => typeof (window as any).browserClient === 'function');
    const first = await tab.evaluate(([url, key]) => (window as any).browserClient(url, key), [ts.url, clientKey] as const);
    expect(first).toMatchObject({ ok: true, status: 'ready', checkout: { value: 'new-checkout', reason: 'ROLLOUT_IN' }, inbox: 'old-inbox' });
    // The page's cache keeps the answers and the user key they were for, not the user's attributes.
    expect(Object.keys(first.stored).sort()).toEqual(['flags', 'targetingKey']);
    expect(first.stored.targetingKey).toBe('user-1');

    await expect.poll(() => ts.running.services.ofrep.events.size, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect((await ts.api('POST', '/api/flags/checkout-v2/kill', { as: 'oncall', body: { reason: 'browser client kill' } })).status).toBe(200);
    await tab.waitForFunction(() => (window as any).events.some((c: any) => c.key === 'checkout-v2' && c.value === 'old-checkout'), undefined, { timeout: 10_000 });
    expect(await tab.evaluate(() => (window as any).client.evaluate('checkout-v2').reason)).toBe('KILLED');

    // A sign-in: the same user on the pro plan. The client asks again, and only its answers move.
    const after = await tab.evaluate(async () => {
      const c = (window as any).client;
      (window as any).events.length = 0;
      await c.setContext({ key: 'user-1', plan: 'pro' });
      return { inbox: c.evaluate('pro-inbox'), events: (window as any).events, status: c.status };
    });
    expect(after).toEqual({ inbox: { value: 'new-inbox', reason: 'ROLLOUT_IN', flagVersion: expect.any(Number) }, events: [{ key: 'pro-inbox', value: 'new-inbox' }], status: 'ready' });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('an admin issues a client key in the UI, and the list says which kind each key is', async () => {
    await buildUi();
    await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'shop-api (UI)' } });
    const { page: ui, context, errors } = await signIn(browser, ts, 'admin', 'root', '#/keys');
    await ui.getByLabel('Name').fill('shop-web (UI)');
    await ui.getByLabel('Kind').selectOption('client');
    await ui.getByRole('button', { name: 'Issue key' }).click();
    await ui.getByTestId('new-key').waitFor();
    const keys = (await ts.api('GET', '/api/sdk-keys', { as: 'admin' })).body.keys as Array<{ id: string; name: string; kind: string }>;
    const issued = keys.find((k) => k.name === 'shop-web (UI)')!;
    expect(issued.kind).toBe('client');
    const row = ui.locator(`tr[data-key="${issued.id}"]`);
    await row.getByText('Client', { exact: true }).waitFor();
    const server = keys.find((k) => k.name === 'shop-api (UI)')!;
    await ui.locator(`tr[data-key="${server.id}"]`).getByText('Server', { exact: true }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('is refused by the browser from an origin outside ALLOWED_ORIGINS', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const other = `http://127.0.0.1:${(page.address() as AddressInfo).port}`; // same page, another origin
    await tab.goto(other);
    await tab.waitForFunction(() => typeof (window as any).start === 'function');
    const outcome = await tab.evaluate(([url, key]) => (window as any).start(url, key).then(() => 'ready', (e: Error) => `refused: ${e.message}`), [ts.url, clientKey] as const);
    expect(outcome).toMatch(/^refused/);
    await context.close();
  });
});
