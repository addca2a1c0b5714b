import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, type Config } from '../server/config.js';
import { lockDataDir } from '../server/data-dir.js';
import { createLogger } from '../server/log.js';
import { START_STEPS, startServer } from '../server/main.js';
import { tempDataDir } from './helpers/server.js';
import { onPostgres, testDatabaseUrl } from './helpers/test-db.js';

// One lifecycle (issue 22): every acquisition of startServer registers its release right after
// it, so a start that fails at any step leaves nothing behind, and close() is the same stack.

const dirs: string[] = [];
let databaseUrl: string | undefined;

async function configFor(dataDir: string): Promise<Config> {
  // metricsListen set: the separate /metrics listener is one of the things acquired.
  return configFromEnv({}, { port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', databaseUrl, metricsListen: '127.0.0.1:0' });
}

/** What the process holds: handles, sockets, timers (by kind, counted). */
function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/** Connections to the test database other than `self` (PostgreSQL only). */
async function otherConnections(): Promise<number> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    return Number(r.rows[0]!.n);
  } finally {
    await c.end();
  }
}

/** Resources settle asynchronously (a closed socket's handle goes on a later tick): waits until `read` equals `want`, at most ~5 s. */
async function settlesTo<T>(read: () => T | Promise<T>, want: T): Promise<T> {
  let got = await read();
  for (let i = 0; i < 100 && JSON.stringify(got) !== JSON.stringify(want); i++) {
    await new Promise((r) => setTimeout(r, 50));
    got = await read();
  }
  return got;
}

let baseline: Record<string, number>;

beforeAll(async () => {
  databaseUrl = await testDatabaseUrl();
  // One full start and close first: modules loaded, lazy globals made, the database migrated.
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const running = await startServer({ config: await configFor(dataDir), log: createLogger('silent') });
  await running.close();
  // A closed handle leaves the list on a later tick: the baseline is what stays put for half a second.
  let last = JSON.stringify(resources());
  for (let same = 0; same < 10; ) {
    await new Promise((r) => setTimeout(r, 50));
    const now = JSON.stringify(resources());
    same = now === last ? same + 1 : 0;
    last = now;
  }
  baseline = resources();
});

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe(`one lifecycle for startServer (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  it.each(START_STEPS)('a start that fails right after step "%s" releases everything it acquired: no handle, socket or timer left, the DATA_DIR lock free, no database connection open', async (step) => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    await expect(startServer({ config: await configFor(dataDir), log: createLogger('silent'), failAt: step })).rejects.toThrow(`start step "${step}" failed`);
    expect(await settlesTo(resources, baseline)).toEqual(baseline);
    // The lock is free: this process can take it again at once.
    lockDataDir(dataDir).release();
    if (onPostgres) expect(await settlesTo(otherConnections, 0)).toBe(0);
  });

  it('a server that started and closed holds nothing either, and close() released what it held in reverse order', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const running = await startServer({ config: await configFor(dataDir), log: createLogger('silent') });
    const held = running.held();
    expect(held[0]).toBe('storage');
    expect(held.at(-1)).toBe('jobs');
    expect(held).toContain(onPostgres ? 'cluster' : 'listen');
    await running.close();
    expect(running.held()).toEqual([]);
    expect(await settlesTo(resources, baseline)).toEqual(baseline);
    lockDataDir(dataDir).release();
    if (onPostgres) expect(await settlesTo(otherConnections, 0)).toBe(0);
  });

  it('a port already in use fails the start with the listen error and leaves the DATA_DIR free for the next try', async () => {
    const first = tempDataDir();
    const second = tempDataDir();
    dirs.push(first, second);
    const running = await startServer({ config: await configFor(first), log: createLogger('silent') });
    try {
      const config = { ...(await configFor(second)), port: running.port };
      await expect(startServer({ config, log: createLogger('silent') })).rejects.toThrow(/EADDRINUSE/);
      lockDataDir(second).release();
    } finally {
      await running.close();
    }
    expect(await settlesTo(resources, baseline)).toEqual(baseline);
  });
});
