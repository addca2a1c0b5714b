import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** `@switchyard-flags/sdk[/entry]` (the sdk/ workspace) from its source, as in vitest.config.ts. */
const sdkSource = (dir: string) => [
  { find: /^@switchyard-flags\/sdk$/, replacement: `${dir}/index.ts` },
  { find: /^@switchyard-flags\/sdk\/(.*)$/, replacement: `${dir}/$1.ts` },
];

/**
 * The fast tier (`npm run test:unit`): pure modules and services on an in-memory SQLite database
 * with a hand-moved clock; no HTTP, no server boot, no dist/ build. `npm test` (vitest.config.ts)
 * runs these files too, beside the integration, browser, reliability and fuzz suites.
 */
export default defineConfig({
  resolve: { alias: sdkSource(fileURLToPath(new URL('./sdk/src', import.meta.url))) },
  test: {
    include: ['test/unit/**/*.test.ts', 'sdk/test/**/*.test.ts', 'server/**/*.test.ts'],
    testTimeout: 10_000,
    // One worker thread per core, module graph shared between files: these tests hold no module
    // state of their own (each builds a fresh in-memory database), and a fork per file costs
    // more than all the tests together on a loaded 2-core machine.
    pool: 'threads',
    isolate: false,
  },
});
