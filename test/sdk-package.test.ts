/**
 * The SDK as an app gets it: `npm pack -w sdk` (the tarball README.md tells an app to install),
 * installed into an empty project outside the repository, then used from Node against a real
 * server and from a browser bundle made by esbuild. What the install pulled in is counted.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, measure } from '../bench/size.mjs';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey } from './helpers/push-client.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const npm = (args: string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, maxBuffer: 1 << 24 });

/** The server's own dependencies: an app installing the SDK must get none of them. */
const SERVER_DEPENDENCIES = Object.keys(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies).filter((d) => d !== 'ws');

/** Every package under `dir/node_modules` (scoped ones too) and the bytes of all their files. */
function installed(dir: string): { names: string[]; bytes: number } {
  const names: string[] = [];
  let bytes = 0;
  const size = (p: string): number => {
    const st = fs.lstatSync(p);
    return st.isDirectory() ? fs.readdirSync(p).reduce((n, f) => n + size(path.join(p, f)), 0) : st.size;
  };
  const walk = (nm: string) => {
    if (!fs.existsSync(nm)) return;
    for (const entry of fs.readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      const dirs = entry.startsWith('@') ? fs.readdirSync(path.join(nm, entry)).map((e) => path.join(entry, e)) : [entry];
      for (const name of dirs) {
        names.push(name);
        bytes += size(path.join(nm, name));
        walk(path.join(nm, name, 'node_modules'));
      }
    }
  };
  walk(path.join(dir, 'node_modules'));
  return { names: names.sort(), bytes };
}

describe('the SDK package, packed and installed into an empty project', () => {
  let ts: TestServer;
  let key: string;
  let clientKey: string;
  let dir: string;
  let tarball: string;

  beforeAll(async () => {
    ts = await startTestServer();
    key = (await issueSdkKey(ts)).key;
    clientKey = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'web', kind: 'client' } })).body.key;
    await createFlag(ts, 'support-draft', { on: 'v2', off: 'v1' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-app-'));
    // --ignore-scripts: pack the sdk/dist the global setup built, without prepack's rebuild, which
    // would empty sdk/dist under the tests running beside this one (they load it).
    expect(fs.existsSync(path.join(root, 'sdk', 'dist', 'index.js'))).toBe(true);
    const packed = JSON.parse((await npm(['pack', '-w', 'sdk', '--ignore-scripts', '--json', '--pack-destination', dir], root)).stdout) as Array<{ filename: string }>;
    tarball = path.join(dir, packed[0]!.filename);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    await npm(['install', tarball], dir);
  }, 300_000);
  afterAll(async () => {
    await ts?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pulls in the SDK alone: one package, no server dependency (better-sqlite3, express, kysely, pg …), not even ws', () => {
    const { names, bytes } = installed(dir);
    console.log(`npm install ${path.basename(tarball)}: ${names.length} package(s), ${(bytes / 1024).toFixed(1)} KiB (${names.join(', ')})`);
    expect(names).toEqual(['@switchyard-flags/sdk']);
    for (const dep of SERVER_DEPENDENCIES) expect(names).not.toContain(dep);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules/@switchyard-flags/sdk/package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(bytes).toBeLessThan(1024 * 1024);
  });

  it('from Node 20 (with ws beside it) connects to a real server and evaluates a flag through ".", "./node", "./openfeature" and "./openfeature-web"', async () => {
    await npm(['install', 'ws@^8'], dir);
    const { names } = installed(dir);
    console.log(`with ws for Node 20: ${names.length} packages (${names.join(', ')})`);
    expect(names).toEqual(['@switchyard-flags/sdk', 'ws']);
    fs.writeFileSync(
      path.join(dir, 'app.mjs'),
      `import { createClient } from '@switchyard-flags/sdk';
       import { fileCache } from '@switchyard-flags/sdk/node';
       import { createClient as createLocal } from '@switchyard-flags/sdk/local';
       import { SwitchyardProvider } from '@switchyard-flags/sdk/openfeature';
       import { SwitchyardWebProvider } from '@switchyard-flags/sdk/openfeature-web';
       const client = createClient({ url: process.env.URL, sdkKey: process.env.KEY, cache: fileCache('./flags.json') });
       const ok = await client.ready({ timeoutMs: 5000 });
       console.log(JSON.stringify({ ok, value: client.value('support-draft', { key: 'u1' }, 'fallback'), provider: typeof SwitchyardProvider, web: typeof SwitchyardWebProvider, local: createLocal === createClient }));
       client.close();`,
    );
    const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: dir, env: { ...process.env, URL: ts.url, KEY: key } });
    expect(JSON.parse(stdout)).toEqual({ ok: true, value: 'v1', provider: 'function', web: 'function', local: true });
  });

  /** esbuild, platform browser, as an app's bundler: the package's `browser` condition and field apply. */
  const browserBundle = async (file: string, contents: string) => {
    fs.writeFileSync(path.join(dir, file), contents);
    const out = await build({ entryPoints: [path.join(dir, file)], bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2020', write: false, logLevel: 'silent' });
    const code = out.outputFiles[0]!.text;
    fs.writeFileSync(path.join(dir, file.replace(/\.js$/, '.bundle.mjs')), code);
    return { code, bundle: path.join(dir, file.replace(/\.js$/, '.bundle.mjs')) };
  };

  it("from a browser bundle (esbuild, platform browser) gives createClient the client-key client: no websocket, no evaluator, and a client key's answer over OFREP from a real server", async () => {
    const { code, bundle } = await browserBundle(
      'browser.js',
      `import { createClient } from '@switchyard-flags/sdk';
       export async function main(url, sdkKey) {
         const client = createClient({ url, sdkKey, context: { key: 'u1' } });
         const ok = await client.ready({ timeoutMs: 5000 });
         const value = client.value('support-draft', undefined, 'fallback');
         client.close();
         return { ok, value };
       }`,
    );
    expect(code).not.toMatch(/["']node:|require\(|WebSocket|Math\.imul/);
    expect(code).toContain('/ofrep/v1/evaluate/flags');
    // Node 20's fetch stands in for the browser's; without an EventSource the answers are asked for, not followed.
    const { main } = await import(bundle);
    expect(await main(ts.url, clientKey)).toEqual({ ok: true, value: 'v1' });
  });

  it('from a browser bundle of @switchyard-flags/sdk/local with no node: import, no ws and no Node socket path, which connects through the global WebSocket and evaluates a flag', async () => {
    const { code, bundle } = await browserBundle(
      'local.js',
      `import { createClient } from '@switchyard-flags/sdk/local';
       export async function main(url, sdkKey) {
         const client = createClient({ url, sdkKey });
         const ok = await client.ready({ timeoutMs: 5000 });
         const value = client.value('support-draft', { key: 'u1' }, 'fallback');
         client.close();
         return { ok, value };
       }`,
    );
    // No Node path either: the package's browser field swaps socket.js for socket-browser.js.
    expect(code).not.toMatch(/["']node:|require\(|from\s*["']ws["']|import\(\s*["']ws["']\)|maxPayload|terminate/);
    // Node 20 has no global WebSocket: a browser's is stood in by ws's, so the bundle takes the browser path (the key as a subprotocol).
    const { default: WebSocket } = await import(createRequire(path.join(dir, 'package.json')).resolve('ws'));
    const had = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
    try {
      const { main } = await import(bundle);
      expect(await main(ts.url, key)).toEqual({ ok: true, value: 'v1' });
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = had;
    }
  });

  it('ships type declarations that type-check an app under NodeNext resolution', async () => {
    await npm(['install', '@openfeature/server-sdk@^1.17.0'], dir);
    fs.writeFileSync(
      path.join(dir, 'app.ts'),
      `import { createClient, type Client, type StaleReport } from '@switchyard-flags/sdk';
       import { SwitchyardProvider } from '@switchyard-flags/sdk/openfeature';
       const client: Client = createClient({ url: 'http://localhost:8080', sdkKey: 'sy_sdk_x', maxMessageBytes: 1_000_000 });
       const prompt: string = client.value('support-draft', { key: 'u1' }, 'v1');
       const on: boolean = client.isEnabled('dark-mode', { key: 'u1' });
       const stale: StaleReport | null = client.stale;
       const provider = new SwitchyardProvider({ client });
       export { prompt, on, stale, provider };`,
    );
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, lib: ['ES2022', 'DOM'], typeRoots: [path.join(root, 'node_modules', '@types')], types: ['node'] }, files: ['app.ts'] }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const out = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch((e) => e);
    expect(`${out.stdout ?? ''}${out.stderr ?? ''}`).toBe('');
  }, 120_000);

  it("ships the browser client's declarations to a bundler-resolved app (the browser condition), and under /browser to any", async () => {
    const web = path.join(dir, 'web');
    fs.mkdirSync(web, { recursive: true });
    fs.writeFileSync(
      path.join(web, 'app.ts'),
      `import { createClient, type Client } from '@switchyard-flags/sdk';
       import { createClient as createBrowserClient, type BrowserClient } from '@switchyard-flags/sdk/browser';
       const flags: Client = createClient({ url: 'https://flags.acme.com', sdkKey: 'sy_sdk_x', context: { key: 'u1', plan: 'pro' } });
       const same: BrowserClient = createBrowserClient({ url: 'https://flags.acme.com', sdkKey: 'sy_sdk_x', context: { key: 'u1' } });
       const draft: string = flags.value('support-draft', undefined, 'v1');
       const on: boolean = same.isEnabled('dark-mode');
       const sign = (): Promise<void> => flags.setContext({ key: 'u2' });
       // @ts-expect-error the browser client holds answers, not flag states
       flags.snapshot();
       export { draft, on, sign };`,
    );
    fs.writeFileSync(
      path.join(web, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', customConditions: ['browser'], strict: true, noEmit: true, skipLibCheck: false, lib: ['ES2022', 'DOM'], types: [] }, files: ['app.ts'] }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const out = await run(process.execPath, [tsc, '-p', web], { cwd: web }).catch((e) => e);
    expect(`${out.stdout ?? ''}${out.stderr ?? ''}`).toBe('');
  }, 120_000);
});

describe('the browser bundle budget (bench/size.mjs)', () => {
  // bench/size.mjs counts what a browser downloads at start: the entry chunk and every chunk it
  // imports statically (code-splitting, as an app's bundler does), the SDK resolved by its package
  // name as a browser bundler resolves it. A browser holds a client key (PRODUCT.md), so the
  // browser `createClient` is the client-key client (answers over OFREP); the local evaluator is
  // `@switchyard-flags/sdk/local`, with a budget of its own (docs/sdk.md).
  const NODE_PATHS = /from\s*["'](node:[^"']*|ws)["']|require\(|import\(\s*["']ws["']\)|maxPayload|terminate/;

  it('createClient bundles for browsers in at most 4,096 B min+gzip at start, with no evaluator, no websocket and no node: imports', async () => {
    const { gzip, code, chunks, lazy } = await measure(CASES['createClient (browser app, client key)']);
    expect(chunks.length).toBe(1);
    expect(lazy).toEqual([]);
    expect(gzip).toBeLessThanOrEqual(4096);
    // What a client key is given is answers: no cohort operators, no bucketing hash, no socket.
    expect(code).toContain('/ofrep/v1/evaluate/flags');
    expect(code).not.toMatch(/WebSocket|Math\.imul|ends_with|semver/);
    expect(code).not.toMatch(NODE_PATHS);
    const whole = (await measure(CASES['whole browser entry'])).code;
    expect(whole).toContain('/ofrep/v1/evaluate/flags');
    expect(whole).not.toMatch(NODE_PATHS);
  });

  it('the packed build (sdk/dist) gives a browser bundler the same client-key createClient, within the same 4,096 B', async () => {
    const { gzip, code } = await measure(CASES['createClient from @switchyard-flags/sdk (dist)'], { dist: true });
    expect(gzip).toBeLessThanOrEqual(4096);
    expect(code).toContain('/ofrep/v1/evaluate/flags');
    expect(code).not.toMatch(/WebSocket/);
  });

  it('createClient from @switchyard-flags/sdk/local (server key, local evaluation) bundles for browsers in at most 4,913 B min+gzip at start, with no node: imports and no static ws import', async () => {
    const { gzip, code, chunks } = await measure(CASES['createClient from /local (server key, local evaluation)']);
    expect(chunks.length).toBe(1);
    expect(gzip).toBeLessThanOrEqual(4913);
    expect(code).toContain('WebSocket');
    const whole = (await measure(CASES['whole /local entry'])).code;
    for (const c of [code, whole]) expect(c).not.toMatch(NODE_PATHS);
  });

  it("leaves /local's refusal diagnosis out of what a browser downloads at start: a chunk of its own, fetched only after a refused socket", async () => {
    const { code, lazy } = await measure(CASES['createClient from /local (server key, local evaluation)']);
    expect(code).not.toContain('no-cors');
    expect(lazy.map((l) => l.file)).toEqual([expect.stringMatching(/^diagnose-.*\.js$/)]);
  });
});
