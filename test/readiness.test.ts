import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/main.js';
import { cli } from './helpers/cli.js';
import { createFlag, startTestServer, tempDataDir, type TestServer } from './helpers/server.js';
import { itSqliteOnly } from './helpers/test-db.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
  await createFlag(ts, 'ready-flag');
});
afterAll(() => ts.close());

/** The figure a /metrics scrape reports for `name` (no labels). */
async function gauge(name: string): Promise<number | undefined> {
  const text = (await ts.api('GET', '/metrics', { as: 'viewer' })).text;
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('/readyz tells the truth', () => {
  itSqliteOnly('while the database refuses writes, the write and /readyz both answer 503 with Retry-After, and /metrics says db_write_ok 0; after, both recover', async () => {
    const sqlite = ts.running.storage.sqlite!;
    sqlite.pragma('busy_timeout = 200');
    const other = new SQLite(ts.running.config.dbFile);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const kill = await ts.api('POST', '/api/flags/ready-flag/kill', { as: 'oncall', body: { reason: 'incident' } });
      expect(kill.status).toBe(503);
      expect(Number(kill.headers.get('retry-after'))).toBeGreaterThan(0);
      const ready = await ts.api('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(Number(ready.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(ready.body.error.code).toBe('not_ready');
      expect(ready.body.error.message).toContain('refuses writes');
      expect(await gauge('switchyard_db_write_ok')).toBe(0);
      expect(await gauge('switchyard_kill_failures_total')).toBeUndefined(); // labelled by status
      expect((await ts.api('GET', '/metrics', { as: 'viewer' })).text).toMatch(/switchyard_kill_failures_total\{status="503"\} 1/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
      sqlite.pragma('busy_timeout = 5000');
    }
    expect((await ts.api('GET', '/readyz')).status).toBe(200);
    expect(await gauge('switchyard_db_write_ok')).toBe(1);
    expect((await ts.api('POST', '/api/flags/ready-flag/kill', { as: 'oncall', body: { reason: 'incident' } })).status).toBe(200);
    expect(await gauge('switchyard_last_kill_seconds')).toBeGreaterThan(0);
  });

  itSqliteOnly('a database switched to read-only: the refused write makes /readyz 503, and its probe write sees when writes work again', async () => {
    const s = await startTestServer();
    try {
      expect((await s.api('GET', '/readyz')).status).toBe(200);
      s.running.storage.sqlite!.pragma('query_only = ON');
      const refused = await s.api('POST', '/api/flags', { as: 'engineer', body: { key: 'ro', owner: 'o' } });
      expect(refused.status).toBe(503);
      const ready = await s.api('GET', '/readyz');
      expect(ready.status).toBe(503);
      s.running.storage.sqlite!.pragma('query_only = OFF');
      expect((await s.api('GET', '/readyz')).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  itSqliteOnly('when the DATA_DIR lock file is removed or replaced, /readyz answers 503 naming it', async () => {
    const s = await startTestServer();
    try {
      const lock = path.join(s.dataDir, 'switchyard.lock');
      expect((await s.api('GET', '/metrics', { as: 'viewer' })).text).toMatch(/^switchyard_data_dir_lock_held 1$/m);
      fs.rmSync(lock);
      const ready = await s.api('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error.message).toContain('lock');
      expect((await s.api('GET', '/metrics', { as: 'viewer' })).text).toMatch(/^switchyard_data_dir_lock_held 0$/m);
      fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, token: 'someone-else' }));
      expect((await s.api('GET', '/readyz')).status).toBe(503);
    } finally {
      await s.close();
    }
  });
});

describe('a corrupted database file', () => {
  itSqliteOnly('is refused at start with a clear message (startServer and the CLI), instead of being served as healthy', async () => {
    const s = await startTestServer();
    for (let i = 0; i < 40; i++) await createFlag(s, `bulk-${i}`, { description: 'x'.repeat(1500) });
    const dataDir = s.dataDir;
    await s.stop();
    const file = path.join(dataDir, 'switchyard.db');
    const sqlite = new SQLite(file);
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const pageSize = Number(sqlite.pragma('page_size', { simple: true }));
    const root = (sqlite.prepare("select rootpage from sqlite_master where name = 'flags'").get() as { rootpage: number }).rootpage;
    sqlite.close();
    // Scribble over the flags table's root page (leaving the header and schema page intact).
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (root - 1) * pageSize);
    fs.closeSync(fd);
    const config = configFromEnv({}, { port: 0, dataDir });
    await expect(startServer({ config, log: createLogger('silent') })).rejects.toThrow(/failed PRAGMA quick_check[\s\S]*refusing to start/);
    const r = await cli(['serve'], { DATA_DIR: dataDir, PORT: '0' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed PRAGMA quick_check/);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});

describe('every 503 carries Retry-After', () => {
  itSqliteOnly('a write refused by a full database answers 503 with Retry-After', async () => {
    const s = await startTestServer({ dataDir: tempDataDir() });
    try {
      const sqlite = s.running.storage.sqlite!;
      sqlite.pragma(`max_page_count = ${Number(sqlite.pragma('page_count', { simple: true }))}`);
      let res;
      for (let i = 0; i < 50; i++) {
        res = await s.api('POST', '/api/flags', { as: 'engineer', body: { key: `full-${i}`, owner: 'o', description: 'x'.repeat(2000) } });
        if (res.status === 503) break;
      }
      expect(res!.status).toBe(503);
      expect(Number(res!.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });
});

describe('/readyz and the change stream', () => {
  it('a replica that says it is behind the change stream answers /readyz 503 naming what is behind, and 200 once caught up', async () => {
    const s = await startTestServer({ dataDir: tempDataDir() });
    try {
      let lag: string | null = 'the listening connection is down; reconnecting from state version 41';
      s.running.health.watchChangeStream(() => lag);
      const behind = await s.api('GET', '/readyz');
      expect(behind.status).toBe(503);
      expect(behind.body.error.code).toBe('not_ready');
      expect(behind.body.error.details.problems).toEqual(['behind the change stream: the listening connection is down; reconnecting from state version 41']);
      lag = null;
      expect((await s.api('GET', '/readyz')).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
