/**
 * Switchyard SDK, `import { createClient } from '@switchyard-flags/sdk'`. In Node (and any
 * resolver without the `browser` condition) this entry: the local evaluator of local.ts, for a
 * server key. A browser bundler resolves the same import to browser.ts, whose `createClient` is
 * the client-key client (answers for one context over OFREP). docs/sdk.md.
 */
export * from './local.js';
