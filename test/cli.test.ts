import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli } from './helpers/cli.js';
import { createFlag, startTestServer, tempDataDir, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.close());

describe('the switchyard CLI', () => {
  it('token prints a signed user token and nothing else, and the server accepts it with its role', async () => {
    const r = await cli(['token', '--sub', 'alice', '--role', 'pm', '--ttl', '1h'], { DATA_DIR: ts.dataDir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = r.stdout.trim();
    expect((await ts.api('GET', '/api/flags', { token })).status).toBe(200);
    // A pm may not create flags: the role in the token is the one asked for.
    expect((await ts.api('POST', '/api/flags', { token, body: { key: 'x', owner: 'o' } })).status).toBe(403);
  });

  it('token refuses an unknown role with a usage message', async () => {
    const r = await cli(['token', '--sub', 'alice', '--role', 'root'], { DATA_DIR: ts.dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown role "root"');
    expect(r.stdout).toBe('');
  });

  it('sdk-key prints a new key alone, stores only its hash and audits it', async () => {
    const r = await cli(['sdk-key', '--name', 'checkout-service'], { DATA_DIR: ts.dataDir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sy_sdk_[\w-]{43}\n$/);
    const keys = await ts.api('GET', '/api/sdk-keys', { as: 'admin' });
    expect(keys.body.keys.map((k: any) => k.name)).toContain('checkout-service');
    const entries = await ts.api('GET', '/api/audit?action=sdk_key.create', { as: 'admin' });
    expect(entries.body.entries[0].after.name).toBe('checkout-service');
    expect(JSON.stringify(entries.body)).not.toContain(r.stdout.trim());
  });

  it('kill and restore work against a running server with the token from the environment', async () => {
    await createFlag(ts, 'cli-flag');
    const token = await ts.token('oncall', 'night-shift');
    const k = await cli(['kill', 'cli-flag', '--reason', 'cost spike', '--url', ts.url], { SWITCHYARD_TOKEN: token });
    expect(k.code, k.stderr).toBe(0);
    expect(k.stdout).toContain('cli-flag: killed');
    const flag = await ts.api('GET', '/api/flags/cli-flag', { as: 'viewer' });
    expect(flag.body).toMatchObject({ killed: true, killedBy: 'night-shift', killReason: 'cost spike' });
    const r = await cli(['restore', 'cli-flag', '--reason', 'fixed', '--url', ts.url], { SWITCHYARD_TOKEN: token });
    expect(r.code).toBe(0);
    expect((await ts.api('GET', '/api/flags/cli-flag', { as: 'viewer' })).body.killed).toBe(false);
  });

  it('kill of an unknown flag exits non-zero with the server error', async () => {
    const token = await ts.token('oncall');
    const k = await cli(['kill', 'nope', '--reason', 'x', '--url', ts.url], { SWITCHYARD_TOKEN: token });
    expect(k.code).toBe(1);
    expect(k.stderr).toContain('404 not_found');
  });

  it('serve starts on an empty data dir, creates a private secret, and with stdout not a terminal puts the bootstrap admin token in a 0600 file named in the log, never in the output', async () => {
    const dataDir = tempDataDir();
    const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, DATA_DIR: dataDir, PORT: '0' } });
    try {
      let out = '';
      const [url, file] = await new Promise<[string, string]>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          const m = /switchyard listening on (http:\/\/[\d.:]+)/.exec(out);
          const f = /"file":"([^"]+bootstrap-admin-token)"/.exec(out);
          if (m && f) resolve([m[1]!, f[1]!]);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(file).toBe(path.join(dataDir, 'bootstrap-admin-token'));
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const token = fs.readFileSync(file, 'utf8').trim();
      expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(out).not.toContain(token);
      expect(out).not.toMatch(/eyJ[\w-]+\.eyJ/);
      const res = await fetch(`${url}/api/sdk-keys`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(fs.statSync(path.join(dataDir, 'secret')).mode & 0o777).toBe(0o600);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('serve stops with a clear message when a migration fails', async () => {
    const dataDir = tempDataDir();
    const db = new Database(path.join(dataDir, 'switchyard.db'));
    db.exec('create table flags (something_else text)');
    db.close();
    const r = await cli(['serve'], { DATA_DIR: dataDir, PORT: '0' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/database migration 0001_core failed: .*flags/);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['serve', 'token', 'sdk-key', 'kill', 'restore', 'backup', 'verify-audit', 'revoke-token'])(
    '%s --help prints that command\'s options and does nothing else: no server, no data dir, no token',
    async (cmd) => {
      const dataDir = path.join(tempDataDir(), 'not-yet');
      const r = await cli([cmd, '--help'], { DATA_DIR: dataDir, PORT: '0', SWITCHYARD_URL: 'http://127.0.0.1:9' }, 10_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`usage: switchyard ${cmd}`);
      expect(r.stdout).not.toMatch(/listening|Bootstrap admin token|eyJ/);
      expect(fs.existsSync(dataDir)).toBe(false);
    },
  );

  it('--version prints the package version and exits', async () => {
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string };
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`switchyard ${pkg.version}\n`);
  });
});
