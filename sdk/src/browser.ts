/**
 * Switchyard SDK as a browser bundler resolves `@switchyard-flags/sdk` (the `browser` export
 * condition; also `@switchyard-flags/sdk/browser`): `createClient` is the client-key client
 * (browser-client.ts: one context, answers over OFREP, kept live by the event stream), under
 * 4 KiB min+gzip. The rest is the local entry's; the local evaluator itself, for a browser app
 * that must evaluate with a server key, is `@switchyard-flags/sdk/local`.
 */
export * from './local.js';
export { createClient, localStorageCache, type BrowserClient, type BrowserClientOptions } from './browser-client.js';
export type { BrowserClient as Client, BrowserClientOptions as ClientOptions } from './browser-client.js';

