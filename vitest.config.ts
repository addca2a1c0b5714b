import { fileURLToPath } from 'node:url';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { skippedFiles } from './test/database-skips.js';

/** `@switchyard-flags/sdk[/entry]` (the sdk/ workspace) from its source, as tsc and esbuild see it. */
const sdkSource = (dir: string) => [
  { find: /^@switchyard-flags\/sdk$/, replacement: `${dir}/index.ts` },
  { find: /^@switchyard-flags\/sdk\/(.*)$/, replacement: `${dir}/$1.ts` },
];

export type TestDb = 'sqlite' | 'postgres';

const UNIT = ['test/unit/**/*.test.ts', 'sdk/test/**/*.test.ts', 'server/**/*.test.ts'];

/**
 * The integration suites of one database: real servers on port 0 (test/helpers/server.ts), the
 * CLI, the browser. Every file runs in both `sqlite` and `postgres` unless test/database-skips.ts
 * names it with its reason; the project's SWITCHYARD_TEST_DB tells the helpers which database.
 */
export function integrationProject(db: TestDb): TestProjectInlineConfiguration {
  return {
    extends: true,
    test: {
      name: db,
      include: ['test/**/*.test.ts'],
      exclude: ['test/unit/**', ...skippedFiles(db)],
      testTimeout: 20_000,
      hookTimeout: 30_000,
      pool: 'forks',
      globalSetup: ['test/global-setup.ts'],
      // Every answer a test receives from a server it started is held to the OpenAPI document, as a
      // validating proxy would (server/http/response-validator.ts): a mismatch is a 500 response_invalid.
      env: { SWITCHYARD_VALIDATE_RESPONSES: '1', SWITCHYARD_TEST_DB: db },
    },
  };
}

/**
 * The fast tier of one database (`sqlite-unit`, `postgres-unit`): pure modules and services on a
 * fresh database per unitServices() call (in-memory SQLite, or a copy of the run's migrated
 * PostgreSQL template), a hand-moved clock; no HTTP, no server boot, no dist/ build.
 */
export function unitProject(db: TestDb): TestProjectInlineConfiguration {
  return {
    extends: true,
    test: {
      name: `${db}-unit`,
      include: UNIT,
      exclude: skippedFiles(db),
      testTimeout: 10_000,
      hookTimeout: 30_000,
      // One worker thread per core, module graph shared between files: these tests hold no module
      // state of their own (each builds a fresh database), and a fork per file costs more than all
      // the tests together on a loaded 2-core machine.
      pool: 'threads',
      isolate: false,
      globalSetup: ['test/global-setup.ts'],
      env: { SWITCHYARD_TEST_DB: db },
    },
  };
}

/** SWITCHYARD_TEST_DB=sqlite|postgres keeps one database's projects (as `--project 'postgres*'`). */
export function databases(): TestDb[] {
  const only = process.env.SWITCHYARD_TEST_DB;
  if (only === 'sqlite' || only === 'postgres') return [only];
  if (only) throw new Error(`SWITCHYARD_TEST_DB=${only}: expected sqlite or postgres`);
  return ['sqlite', 'postgres'];
}

export const sdkAlias = sdkSource(fileURLToPath(new URL('./sdk/src', import.meta.url)));

/**
 * `npm test` / `npx vitest run [files]`: four projects, `sqlite`, `postgres`, `sqlite-unit` and
 * `postgres-unit`, one run and one worker pool for all of them.
 */
export default defineConfig({
  resolve: { alias: sdkAlias },
  test: {
    // Two cores: a fork per core; the suites mostly wait on sockets and the database.
    maxWorkers: 2,
    projects: databases().flatMap((db) => [integrationProject(db), unitProject(db)]),
  },
});
