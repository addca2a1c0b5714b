import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/main.js';
import { cli } from './helpers/cli.js';
import { tempDataDir } from './helpers/server.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function withSecret(content: string, mode = 0o600): string {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  fs.writeFileSync(path.join(dataDir, 'secret'), content, { mode });
  fs.chmodSync(path.join(dataDir, 'secret'), mode);
  return dataDir;
}

const start = (dataDir: string) => startServer({ config: configFromEnv({}, { port: 0, dataDir }), log: createLogger('silent') });

describe('the signing secret is strong or refused', () => {
  it.each([
    ['a 1-byte secret', 'AA\n', /holds 1 bytes; at least 32 random bytes/],
    ['an empty file', '', /holds 0 bytes; at least 32 random bytes/],
    ['31 bytes', Buffer.alloc(31, 7).toString('base64url'), /holds 31 bytes/],
    ['text that is not base64url', 'correct horse battery staple, but with spaces and commas!', /holds 0 bytes/],
  ])('%s is refused at start with a clear message, by startServer and by `switchyard serve` and `token`', async (_what, content, message) => {
    const dataDir = withSecret(content);
    await expect(start(dataDir)).rejects.toThrow(message);
    const serve = await cli(['serve'], { DATA_DIR: dataDir, PORT: '0' });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toMatch(message);
    const token = await cli(['token', '--sub', 'a', '--role', 'admin'], { DATA_DIR: dataDir });
    expect(token.code).toBe(1);
    expect(token.stdout).toBe('');
    expect(fs.existsSync(path.join(dataDir, 'switchyard.lock'))).toBe(false);
  });

  it('a secret readable by group or others is refused with the chmod to run', async () => {
    const dataDir = withSecret(Buffer.alloc(32, 9).toString('base64url'), 0o644);
    await expect(start(dataDir)).rejects.toThrow(`readable by others (mode 0644); run: chmod 600 ${path.join(dataDir, 'secret')}`);
  });

  it('a 32-byte secret with mode 0600 is accepted', async () => {
    const dataDir = withSecret(Buffer.alloc(32, 9).toString('base64url') + '\n');
    const s = await start(dataDir);
    expect(s.secret.length).toBe(32);
    await s.close();
  });
});
