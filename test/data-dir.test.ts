import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/main.js';
import { CLI, cli } from './helpers/cli.js';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDataDir();
  dirs.push(d);
  return d;
}

describe('one server per DATA_DIR', () => {
  it('a second server in the same process on the same DATA_DIR is refused, naming the holder pid; after the first stops, it starts', async () => {
    const dataDir = dir();
    const first = await startTestServer({ dataDir });
    const config = configFromEnv({}, { port: 0, dataDir });
    await expect(startServer({ config, log: createLogger('silent') })).rejects.toThrow(
      new RegExp(`DATA_DIR .* is in use by another switchyard server \\(pid ${process.pid}\\)`),
    );
    // The refused start touched nothing: the first server still serves and still holds the lock.
    expect((await first.api('GET', '/readyz')).status).toBe(200);
    await first.stop();
    const second = await startTestServer({ dataDir });
    expect((await second.api('GET', '/readyz')).status).toBe(200);
    await second.stop();
  });

  it('the real CLI: a second `switchyard serve` exits 1 with a message naming the first one\'s pid', async () => {
    const dataDir = dir();
    const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, DATA_DIR: dataDir, PORT: '0' } });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('switchyard listening on')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const second = await cli(['serve'], { DATA_DIR: dataDir, PORT: '0' });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`in use by another switchyard server (pid ${child.pid})`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(fs.existsSync(path.join(dataDir, 'switchyard.lock'))).toBe(false);
  });

  it('a lock left by a process that died (kill -9) is stale and taken over', async () => {
    const dataDir = dir();
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.once('exit', r));
    fs.writeFileSync(path.join(dataDir, 'switchyard.lock'), JSON.stringify({ pid: dead.pid, token: 'old', startedAt: 'then' }));
    const ts = await startTestServer({ dataDir });
    try {
      expect((await ts.api('GET', '/readyz')).status).toBe(200);
      expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'switchyard.lock'), 'utf8')).pid).toBe(process.pid);
    } finally {
      await ts.stop();
    }
  });
});

describe('a lock naming this very pid', () => {
  it('that this process does not hold (a container restarted: the new server is pid 1 again) is stale and taken over', async () => {
    const dataDir = dir();
    fs.writeFileSync(path.join(dataDir, 'switchyard.lock'), JSON.stringify({ pid: process.pid, token: 'before-the-restart', startedAt: 'then' }));
    const ts = await startTestServer({ dataDir });
    try {
      expect((await ts.api('GET', '/readyz')).status).toBe(200);
    } finally {
      await ts.stop();
    }
  });
});

describe('DATABASE_URL that cannot be reached', () => {
  it('refuses to start with the database named instead of quietly serving from SQLite', async () => {
    const dataDir = tempDataDir();
    // Port 1: nothing listens there.
    const config = configFromEnv({ DATABASE_URL: 'postgres://sy:hunter2@127.0.0.1:1/sy' }, { port: 0, dataDir });
    const start = startServer({ config, log: createLogger('silent') });
    await expect(start).rejects.toThrow(/cannot reach the PostgreSQL database of DATABASE_URL \(127\.0\.0\.1:1\/sy\)/);
    await expect(start).rejects.not.toThrow(/hunter2/);
    expect(fs.existsSync(path.join(dataDir, 'switchyard.db'))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'switchyard.lock'))).toBe(false);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});

describe('data files are private', () => {
  let ts: TestServer;
  afterAll(() => ts?.close());

  it('the data dir is 0700 and the database, its -wal and -shm, the secret and the lock are 0600', async () => {
    ts = await startTestServer();
    await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'mode-check', owner: 'o' } });
    expect(fs.statSync(ts.dataDir).mode & 0o777).toBe(0o700);
    for (const f of ['switchyard.db', 'switchyard.db-wal', 'switchyard.db-shm', 'secret', 'switchyard.lock', 'switchyard.lock.db']) {
      expect((fs.statSync(path.join(ts.dataDir, f)).mode & 0o777).toString(8), f).toBe('600');
    }
  });
});

/** Whether this host lets us start a process in a PID namespace of its own (root, util-linux unshare). */
function canUnshare(): boolean {
  if (process.getuid?.() !== 0) return false;
  const r = spawnSync('unshare', ['-p', '-f', '--mount-proc', process.execPath, '-e', 'process.stdout.write(String(process.pid))']);
  return r.status === 0 && r.stdout.toString() === '1';
}

/** `switchyard serve` as pid 1 of a new PID namespace (as in a container); killing unshare kills it (--kill-child). */
function serveInOwnPidNamespace(dataDir: string) {
  return spawn('unshare', ['-p', '-f', '--mount-proc', '--kill-child', process.execPath, CLI, 'serve'], { env: { ...process.env, DATA_DIR: dataDir, PORT: '0' } });
}

describe('two containers sharing one data volume', () => {
  it.skipIf(!canUnshare())('a second server that is pid 1 in its own PID namespace, like the first, refuses to start with one clear line; the first keeps serving', { timeout: 60_000 }, async () => {
    const dataDir = dir();
    const first = serveInOwnPidNamespace(dataDir);
    const second = { proc: undefined as ReturnType<typeof spawn> | undefined };
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        first.stdout!.on('data', (d) => {
          out += d;
          const m = /switchyard listening on (http:\/\/[^\s"]+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        first.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'switchyard.lock'), 'utf8')).pid).toBe(1);
      const proc = (second.proc = serveInOwnPidNamespace(dataDir));
      let stderr = '';
      let stdout = '';
      proc.stderr!.on('data', (d) => (stderr += d));
      proc.stdout!.on('data', (d) => (stdout += d));
      // Before the fix the second one took the lock over and served: it never exited by itself.
      const code = await new Promise<number | string>((resolve) => {
        const t = setTimeout(() => resolve(`still running after 15 s: ${stdout.slice(0, 300)}`), 15_000);
        proc.once('exit', (c) => {
          clearTimeout(t);
          resolve(c ?? -1);
        });
      });
      expect(code).toBe(1);
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`DATA_DIR ${dataDir} is in use by another switchyard server`);
      // The first still serves, and the lock file is still its own.
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'switchyard.lock'), 'utf8')).pid).toBe(1);
    } finally {
      for (const p of [second.proc, first]) {
        if (!p || p.exitCode !== null) continue;
        p.kill('SIGKILL');
        await new Promise((r) => p.once('exit', r));
      }
    }
  });
});
