/** The Node entry: everything in `@switchyard-flags/sdk`, plus the file cache and reach sketches (on by default). */
import { createClient as create } from './client.js';
import type { Client, ClientOptions } from './client-types.js';
import { createReach } from './reach.js';

export * from './local.js';
export { fileCache } from './file-cache.js';
export { createReach, estimateReach } from './reach.js';
export type { Reach } from './client-types.js';

/**
 * Creates a client (see `@switchyard-flags/sdk`) that also reports about how many distinct users each
 * stage of a flag served its `on` value to: a server-side app serves many users. Pass
 * `reach: null` to report evaluation counts only.
 */
export function createClient(opts: ClientOptions): Client {
  return create(opts.reach === undefined ? { ...opts, reach: createReach() } : opts);
}
