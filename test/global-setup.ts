import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startPostgres } from './helpers/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** SWITCHYARD_TEST_DB=postgres: the run's embedded cluster, as a URL of its `postgres` database. */
    testPostgresUrl: string;
  }
}

/**
 * Builds dist/ once per run: the CLI tests run the built `switchyard` bin, as users do. With
 * SWITCHYARD_TEST_DB=postgres it also starts one throwaway PostgreSQL cluster for the whole run
 * (test/helpers/server.ts makes a fresh database in it for every server) and stops it at the end,
 * whatever the tests did.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  execFileSync(process.execPath, ['build.mjs', '--server-only'], { stdio: 'inherit' });
  if (process.env.SWITCHYARD_TEST_DB !== 'postgres') return undefined;
  const pg = await startPostgres();
  project.provide('testPostgresUrl', pg.url);
  return () => pg.stop();
}
