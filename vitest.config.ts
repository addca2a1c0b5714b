import { defineConfig } from 'vitest/config';

export default defineConfig({
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
