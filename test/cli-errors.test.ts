import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type CliResult } from './helpers/cli.js';
import { freePort } from './helpers/free-port.js';
import { tempDataDir } from './helpers/server.js';

/**
 * Every CLI and start-up failure is one line on stderr naming what was wrong and what to do,
 * with a non-zero exit and no stack (unless DEBUG is set), run against the built bin.
 */
function expectOneLine(r: CliResult, ...mentions: Array<string | RegExp>): string {
  expect(r.code, `exit code; stderr: ${r.stderr}`).not.toBe(0);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr + r.stdout).not.toMatch(/^\s+at /m);
  expect(r.stderr).toMatch(/^switchyard[ :]/);
  for (const m of mentions) expect(r.stderr).toMatch(m);
  return r.stderr;
}

const dirs: string[] = [];
function dir(): string {
  const d = tempDataDir();
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A data dir with a database (made by `sdk-key`) but no signing secret: not a server's data dir. */
let dbOnly: string;
beforeAll(async () => {
  dbOnly = dir();
  const made = await cli(['sdk-key', '--name', 'seed'], { DATA_DIR: dbOnly });
  expect(made.code, made.stderr).toBe(0);
});

describe('one-line CLI errors', () => {
  it('kill with the server down names the URL and the cause (connection refused) and says what to check, without a stack', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await cli(['kill', 'support-draft', '--reason', 'x', '--url', url], { SWITCHYARD_TOKEN: 'x' });
    expectOneLine(r, url, /ECONNREFUSED|connection refused/, /--url|SWITCHYARD_URL/);
    expect(r.stderr).not.toContain('TypeError');
  });

  it('with DEBUG set the same failure also prints the stack', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await cli(['restore', 'support-draft', '--reason', 'x', '--url', url], { SWITCHYARD_TOKEN: 'x', DEBUG: '1' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(url);
    expect(r.stderr).toMatch(/^\s+at /m);
  });

  it('kill against something that is not a switchyard server (a proxy\'s 502 page) says which URL answered what', async () => {
    const proxy = http.createServer((_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1>\n</body></html>'));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      expectOneLine(await cli(['kill', 'f', '--reason', 'x', '--url', url], { SWITCHYARD_TOKEN: 'x' }), '502', url, /not answer as a switchyard server/);
    } finally {
      proxy.close();
    }
  });

  it('kill with a --url that is not a URL says so in one line', async () => {
    expectOneLine(await cli(['kill', 'f', '--reason', 'x', '--url', 'localhost 8080'], { SWITCHYARD_TOKEN: 'x' }), '"localhost 8080"', /URL/);
  });

  it('a usage mistake is one line that points at the command\'s --help', async () => {
    expectOneLine(await cli(['token', '--role', 'pm'], { DATA_DIR: dbOnly }), 'missing --sub', 'switchyard token --help');
    expectOneLine(await cli(['frobnicate']), 'unknown command "frobnicate"', 'switchyard --help');
  });

  it('serve with a DATA_DIR it cannot create or write names the directory and what to do', async () => {
    const file = path.join(dir(), 'a-file');
    fs.writeFileSync(file, 'not a directory');
    const r = await cli(['serve'], { DATA_DIR: path.join(file, 'data'), PORT: '0' });
    expectOneLine(r, path.join(file, 'data'), /DATA_DIR/, /not a directory|ENOTDIR/);
    if (process.getuid?.() !== 0) {
      // Root writes anywhere; everyone else is refused a read-only parent.
      const ro = dir();
      fs.chmodSync(ro, 0o500);
      expectOneLine(await cli(['serve'], { DATA_DIR: path.join(ro, 'data'), PORT: '0' }), /DATA_DIR/, /permission denied|EACCES/);
      fs.chmodSync(ro, 0o700);
    }
  });

  it('serve names the setting behind a path it cannot create (CHECKPOINT_KEY_FILE under a file) and a URL setting that is not a URL', async () => {
    const file = path.join(dir(), 'a-file');
    fs.writeFileSync(file, 'x');
    expectOneLine(await cli(['serve'], { DATA_DIR: dir(), PORT: '0', CHECKPOINT_KEY_FILE: path.join(file, 'key') }), 'CHECKPOINT_KEY_FILE', file);
    expectOneLine(await cli(['serve'], { DATA_DIR: dir(), PORT: '0', JWKS_URL: 'not a url', JWT_ISSUER: 'https://idp' }), 'JWKS_URL "not a url" is not a URL');
  });

  it('serve with a PUBLIC_URL that is not an http(s) URL names it and shows one that is', async () => {
    expectOneLine(await cli(['serve'], { DATA_DIR: dir(), PORT: '0', PUBLIC_URL: 'flags.acme.com' }), 'PUBLIC_URL must be an http(s) URL', '"flags.acme.com"');
  });

  it('serve with a LOG_LEVEL pino does not know lists the levels', async () => {
    expectOneLine(await cli(['serve'], { DATA_DIR: dir(), PORT: '0', LOG_LEVEL: 'loud' }), 'LOG_LEVEL', '"loud"', /debug, info, warn, error/);
  });

  it('serve with a HOST that does not resolve names it and suggests an address', async () => {
    expectOneLine(await cli(['serve'], { DATA_DIR: dir(), PORT: '0', HOST: 'no-such-host.invalid' }), 'HOST', 'no-such-host.invalid', /0\.0\.0\.0|127\.0\.0\.1/);
  });

  it('serve on a port already taken names the port and what to do', async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as AddressInfo).port);
    try {
      expectOneLine(await cli(['serve'], { DATA_DIR: dir(), PORT: port, HOST: '127.0.0.1' }), `port ${port} is already in use`, /set PORT/);
    } finally {
      taken.close();
    }
  });

  it('backup into a folder that does not exist names the folder, and a backup is written 0600', async () => {
    const missing = path.join(dir(), 'no', 'such', 'folder');
    const r = await cli(['backup', path.join(missing, 'copy.db')], { DATA_DIR: dbOnly });
    expectOneLine(r, missing, /does not exist/, /mkdir -p/);
    const target = path.join(dir(), 'copy.db');
    const ok = await cli(['backup', target], { DATA_DIR: dbOnly });
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
  });

  it('verify-audit on a file that is not a SQLite database says so in one line', async () => {
    const notDb = path.join(dir(), 'notes.txt');
    fs.writeFileSync(notDb, 'these are not the entries you are looking for\n'.repeat(200));
    expectOneLine(await cli(['verify-audit', notDb]), notDb, /not a SQLite database/);
  });

  it('token refuses a DATA_DIR without a signing secret instead of signing with a new one no server knows; --init makes one', async () => {
    const missing = path.join(dir(), 'typo');
    const r = await cli(['token', '--sub', 'alice', '--role', 'pm'], { DATA_DIR: missing });
    expectOneLine(r, path.join(missing, 'secret'), /DATA_DIR|SECRET_FILE/, '--init');
    expect(r.stdout).toBe('');
    expect(fs.existsSync(missing)).toBe(false);
    const wrong = await cli(['token', '--sub', 'alice', '--role', 'pm'], { DATA_DIR: dbOnly });
    expectOneLine(wrong, path.join(dbOnly, 'secret'));
    expect(fs.existsSync(path.join(dbOnly, 'secret'))).toBe(false);
    const init = await cli(['token', '--sub', 'alice', '--role', 'pm', '--init'], { DATA_DIR: missing });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(fs.statSync(path.join(missing, 'secret')).mode & 0o777).toBe(0o600);
  });
});
