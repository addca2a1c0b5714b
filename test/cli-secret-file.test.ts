import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../server/storage/open.js';
import { cli } from './helpers/cli.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server.js';

const dirs: string[] = [];
function dir(): string {
  const d = tempDataDir();
  dirs.push(d);
  return d;
}

function writeSecret(file: string, bytes = 32, mode = 0o600): void {
  fs.writeFileSync(file, crypto.randomBytes(bytes).toString('base64url') + '\n', { mode });
  fs.chmodSync(file, mode);
}

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('SECRET_FILE: one signing secret for replicas with their own DATA_DIR', () => {
  it('two servers with their own DATA_DIR and one SECRET_FILE accept a token `switchyard token` signed with it, and neither writes DATA_DIR/secret', async () => {
    const secretFile = path.join(dir(), 'shared-secret');
    writeSecret(secretFile);
    const servers: TestServer[] = [];
    try {
      for (let i = 0; i < 2; i++) servers.push(await startTestServer({ dataDir: dir(), config: { secretFile } }));
      const t = await cli(['token', '--sub', 'oncall-amy', '--role', 'oncall', '--ttl', '1h'], { DATA_DIR: dir(), SECRET_FILE: secretFile });
      expect(t.code, t.stderr).toBe(0);
      const token = t.stdout.trim();
      for (const s of servers) {
        expect((await s.api('GET', '/api/flags', { token })).status).toBe(200);
        expect(fs.existsSync(path.join(s.dataDir, 'secret'))).toBe(false);
      }
      // A token signed with another secret is refused by both.
      const other = await cli(['token', '--sub', 'x', '--role', 'oncall', '--init'], { DATA_DIR: dir() });
      expect(other.code, other.stderr).toBe(0);
      for (const s of servers) expect((await s.api('GET', '/api/flags', { token: other.stdout.trim() })).status).toBe(401);
    } finally {
      for (const s of servers) await s.close();
    }
  });

  it('a SECRET_FILE readable by others, or shorter than 32 bytes, is refused by serve and token with the fix', async () => {
    const loose = path.join(dir(), 'loose');
    writeSecret(loose, 32, 0o644);
    const short = path.join(dir(), 'short');
    writeSecret(short, 16);
    for (const [file, message] of [
      [loose, `the signing secret ${loose} is readable by others (mode 0644); run: chmod 600 ${loose}`],
      [short, `the signing secret ${short} holds 16 bytes; at least 32`],
    ]) {
      const serve = await cli(['serve'], { DATA_DIR: dir(), PORT: '0', SECRET_FILE: file! });
      expect(serve.code).toBe(1);
      expect(serve.stderr).toContain(message);
      const token = await cli(['token', '--sub', 'a', '--role', 'admin'], { DATA_DIR: dir(), SECRET_FILE: file! });
      expect(token.code).toBe(1);
      expect(token.stdout).toBe('');
    }
  });

  it('a missing SECRET_FILE is created with mode 0600 on first start, and the next replica uses it', async () => {
    const secretFile = path.join(dir(), 'made-here');
    const a = await startTestServer({ dataDir: dir(), config: { secretFile } });
    try {
      expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600);
      const b = await startTestServer({ dataDir: dir(), config: { secretFile } });
      try {
        expect(Buffer.from(b.running.secret).equals(Buffer.from(a.running.secret))).toBe(true);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });
});

describe('the CLI on PostgreSQL (DATABASE_URL), as serve reads it', () => {
  it('sdk-key writes the key and its audit entry to the DATABASE_URL database, not to a SQLite file in DATA_DIR', async () => {
    const url = await pg.createDatabase();
    const dataDir = dir();
    const r = await cli(['sdk-key', '--name', 'checkout-service'], { DATA_DIR: dataDir, DATABASE_URL: url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sy_sdk_[\w-]{43}\n$/);
    expect(fs.existsSync(path.join(dataDir, 'switchyard.db'))).toBe(false);
    const o = openStorage({ databaseUrl: url, dbFile: '' });
    try {
      const keys = await o.db.selectFrom('sdk_keys').select(['name']).execute();
      expect(keys.map((k) => k.name)).toEqual(['checkout-service']);
      const audit = await o.db.selectFrom('audit').select(['action']).execute();
      expect(audit.map((a) => a.action)).toEqual(['sdk_key.create']);
    } finally {
      await o.close();
    }
  });

  it('revoke-token and verify-audit work on the DATABASE_URL database, and verify-audit takes --database-url', async () => {
    const url = await pg.createDatabase();
    const env = { DATA_DIR: dir(), DATABASE_URL: url };
    expect((await cli(['sdk-key', '--name', 'svc'], env)).code).toBe(0);
    const rv = await cli(['revoke-token', '--sub', 'mallory', '--reason', 'left the team'], env);
    expect(rv.code, rv.stderr).toBe(0);
    expect(rv.stdout).toContain('revoked every token of mallory');
    const byEnv = await cli(['verify-audit'], env);
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(JSON.parse(byEnv.stdout)).toMatchObject({ ok: true, count: 2 });
    const byFlag = await cli(['verify-audit', '--database-url', url], { DATA_DIR: dir() });
    expect(byFlag.code, byFlag.stderr).toBe(0);
    expect(JSON.parse(byFlag.stdout)).toMatchObject({ ok: true, count: 2 });
  });

  it('verify-audit without a file or a database URL is a usage error, and a non-postgres --database-url is refused', async () => {
    const none = await cli(['verify-audit'], { DATA_DIR: dir() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('missing database file path (or --database-url / DATABASE_URL for PostgreSQL)');
    const bad = await cli(['verify-audit', '--database-url', 'mysql://x/y'], { DATA_DIR: dir() });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('DATABASE_URL must be a postgres:// or postgresql:// URL');
  });
});
