import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** `@switchyard-flags/sdk[/entry]` (the sdk/ workspace) from its source, as tsc and esbuild see it. */
const sdkSource = (dir: string) => [
  { find: /^@switchyard-flags\/sdk$/, replacement: `${dir}/index.ts` },
  { find: /^@switchyard-flags\/sdk\/(.*)$/, replacement: `${dir}/$1.ts` },
];

export default defineConfig({
  resolve: { alias: sdkSource(fileURLToPath(new URL('./sdk/src', import.meta.url))) },
  test: {
    include: ['test/**/*.test.ts', 'sdk/test/**/*.test.ts', 'server/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    // Every answer a test receives from a server it started is held to the OpenAPI document, as a
    // validating proxy would (server/http/response-validator.ts): a mismatch is a 500 response_invalid.
    env: { SWITCHYARD_VALIDATE_RESPONSES: '1' },
  },
});
