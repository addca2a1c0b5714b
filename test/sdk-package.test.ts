import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, measure } from '../bench/size.mjs';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey } from './helpers/push-client.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

/** An app outside the repo with Switchyard installed as a dependency (a link, as `npm install <path>` makes). */
function appDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-app-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'switchyard'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true }));
  return dir;
}

describe('the SDK package', () => {
  let ts: TestServer;
  let key: string;
  let dir: string;

  beforeAll(async () => {
    ts = await startTestServer();
    key = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'support-draft', { on: 'v2', off: 'v1' });
    dir = appDir();
  });
  afterAll(async () => {
    await ts.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resolves "switchyard/sdk", "switchyard/sdk/node" and "switchyard/sdk/openfeature" to built JavaScript an app can run', async () => {
    fs.writeFileSync(
      path.join(dir, 'app.mjs'),
      `import { createClient } from 'switchyard/sdk';
       import { fileCache } from 'switchyard/sdk/node';
       import { SwitchyardProvider } from 'switchyard/sdk/openfeature';
       import { SwitchyardWebProvider } from 'switchyard/sdk/openfeature-web';
       const client = createClient({ url: process.env.URL, sdkKey: process.env.KEY, cache: fileCache('./flags.json') });
       const ok = await client.ready({ timeoutMs: 5000 });
       console.log(JSON.stringify({ ok, value: client.value('support-draft', { key: 'u1' }, 'fallback'), provider: typeof SwitchyardProvider, web: typeof SwitchyardWebProvider }));
       client.close();`,
    );
    const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: dir, env: { ...process.env, URL: ts.url, KEY: key } });
    expect(JSON.parse(stdout)).toEqual({ ok: true, value: 'v1', provider: 'function', web: 'function' });
  });

  it('ships type declarations that type-check an app under NodeNext resolution', async () => {
    fs.writeFileSync(
      path.join(dir, 'app.ts'),
      `import { createClient, type Client } from 'switchyard/sdk';
       import { SwitchyardProvider } from 'switchyard/sdk/openfeature';
       const client: Client = createClient({ url: 'http://localhost:8080', sdkKey: 'sy_sdk_x' });
       const prompt: string = client.value('support-draft', { key: 'u1' }, 'v1');
       const on: boolean = client.isEnabled('dark-mode', { key: 'u1' });
       const provider = new SwitchyardProvider({ client });
       export { prompt, on, provider };`,
    );
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, lib: ['ES2022', 'DOM'], typeRoots: [path.join(root, 'node_modules', '@types')], types: ['node'] }, files: ['app.ts'] }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const out = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch((e) => e);
    expect(`${out.stdout ?? ''}${out.stderr ?? ''}`).toBe('');
  });

  it('bundles for browsers under 5 KB min+gzip, with no node: imports and no static ws import', async () => {
    const { gzip, code } = await measure(CASES['createClient (typical app)']);
    expect(gzip).toBeLessThan(5 * 1024);
    const whole = (await measure(CASES['whole browser entry'])).code;
    expect(whole).toContain('createClient');
    for (const c of [code, whole]) expect(c).not.toMatch(/from\s*["'](node:[^"']*|ws)["']|require\(|import\(\s*["']ws["']\)/);
  });
});
