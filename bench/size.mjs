// Measures the SDK's browser bundle: esbuild (ESM, minified, tree-shaken, browser platform)
// then gzip -9. Run: `node bench/size.mjs`. test/sdk-package.test.ts holds the browser createClient at 4,096 B and /local's at its figure.
// Also prints the admin UI bundle (as built into dist/admin-ui) and, when bench/node_modules
// holds them, the smallest peer browser SDKs bundled the same way.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What an app pulls in for each import; `contents` is the app's own entry. The SDK is imported by
 * its package name and resolved as a browser bundler resolves it (platform browser: the `browser`
 * export condition), from source (the repository's `switchyard-source` condition) or, for the
 * `(dist)` cases, from the tsc output an app installing the package gets (`node build.mjs` first).
 */
export const CASES = {
  // A browser app holds a client key (PRODUCT.md): `createClient` there is the client-key client,
  // answers for one context over OFREP (sdk/src/browser-client.ts), no evaluator, no rules.
  'createClient (browser app, client key)': `import { createClient } from '@switchyard-flags/sdk'; globalThis.c = createClient;`,
  // A browser app that must evaluate locally with a server key (an internal tool) says so.
  'createClient from /local (server key, local evaluation)': `import { createClient } from '@switchyard-flags/sdk/local'; globalThis.c = createClient;`,
  'createOfrepClient (client key)': `import { createOfrepClient } from '@switchyard-flags/sdk'; globalThis.c = createOfrepClient;`,
  'whole browser entry': `export * from '@switchyard-flags/sdk';`,
  'whole /local entry': `export * from '@switchyard-flags/sdk/local';`,
  'web OpenFeature provider': `import { SwitchyardWebProvider } from '@switchyard-flags/sdk/openfeature-web'; globalThis.p = SwitchyardWebProvider;`,
  'createClient from @switchyard-flags/sdk (dist)': `import { createClient } from '@switchyard-flags/sdk'; globalThis.c = createClient;`,
  'createClient from @switchyard-flags/sdk/local (dist)': `import { createClient } from '@switchyard-flags/sdk/local'; globalThis.c = createClient;`,
};

/**
 * Bytes of one case as a browser downloads it at start: the app's entry chunk and every chunk it
 * imports statically, each minified and gzipped on its own (one response each), summed. The SDK
 * keeps code that only a failure needs (diagnose.ts, after a refused socket) behind `import()`:
 * a code-splitting bundler (esbuild --splitting, Vite, webpack, Rollup) puts it in a chunk of its
 * own, fetched only then; those are `lazy` (not counted). `code` is the start chunks' text.
 */
export function measure(contents, { dist = false } = {}) {
  return bundleSize({ stdin: { contents, resolveDir: root, sourcefile: 'app.ts', loader: 'ts' }, conditions: dist ? [] : ['switchyard-source'] });
}

async function bundleSize(options) {
  const out = await build({
    ...options,
    bundle: true,
    write: false,
    format: 'esm',
    splitting: true,
    outdir: path.join(root, '.size-out'),
    metafile: true,
    minify: true,
    treeShaking: true,
    platform: 'browser',
    target: 'es2020',
    logLevel: 'silent',
  });
  const files = new Map(out.outputFiles.map((f) => [path.relative(root, f.path), f]));
  const outputs = out.metafile.outputs;
  const entry = Object.keys(outputs).find((k) => outputs[k].entryPoint !== undefined);
  const start = new Set();
  const visit = (name) => {
    if (start.has(name)) return;
    start.add(name);
    for (const i of outputs[name].imports) if (i.kind === 'import-statement' && outputs[i.path]) visit(i.path);
  };
  visit(entry);
  // The chunks the start chunks can `import()` (esbuild emits every dynamic-import target, used or not).
  const later = new Set();
  const reach = (name) => {
    for (const i of outputs[name].imports) {
      if (!outputs[i.path] || start.has(i.path) || later.has(i.path)) continue;
      if (i.kind === 'dynamic-import' || later.has(name)) later.add(i.path), reach(i.path);
    }
  };
  for (const name of start) reach(name);
  const sizeOf = (name) => {
    const bytes = files.get(name).contents;
    return { file: path.basename(name), min: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
  };
  const js = Object.keys(outputs).filter((k) => k.endsWith('.js'));
  const first = js.filter((k) => start.has(k)).map(sizeOf);
  return {
    min: first.reduce((n, f) => n + f.min, 0),
    gzip: first.reduce((n, f) => n + f.gzip, 0),
    chunks: first,
    lazy: js.filter((k) => later.has(k)).map(sizeOf),
    code: js.filter((k) => start.has(k)).map((k) => files.get(k).text).join('\n'),
  };
}

/** Peer browser SDKs, bundled as an app would import them (resolved from bench/node_modules, then the root). */
export const PEER_CASES = {
  'unleash-proxy-client': `import { UnleashClient } from 'unleash-proxy-client'; globalThis.c = UnleashClient;`,
  '@openfeature/web-sdk': `import { OpenFeature } from '@openfeature/web-sdk'; globalThis.o = OpenFeature;`,
};

function measurePeer(contents) {
  return bundleSize({
    stdin: { contents, resolveDir: path.join(root, 'bench'), sourcefile: 'app.js', loader: 'js' },
    nodePaths: [path.join(root, 'bench', 'node_modules'), path.join(root, 'node_modules')],
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const row = (name, min, gzip) => console.log(`| ${name.padEnd(34)} | ${String(min).padStart(7)} | ${String(gzip).padStart(6)} | ${(gzip / 1024).toFixed(2).padStart(6)} |`);
  console.log('\n### bundle sizes (esbuild ESM, minified, tree-shaken; gzip -9)\n');
  console.log('| what | B min | B min+gzip | KiB gz |\n|:--|--:|--:|--:|');
  for (const [name, contents] of Object.entries(CASES)) {
    const { min, gzip, chunks, lazy } = await measure(contents, { dist: name.endsWith('(dist)') });
    row(`SDK: ${name}${chunks.length > 1 ? ` (${chunks.length} chunks at start)` : ''}`, min, gzip);
    for (const l of lazy) row(`  + later, only if needed: ${l.file}`, l.min, l.gzip);
  }
  process.env.SWITCHYARD_QUIET_BUILD = '1';
  const { ensureAdminUi } = await import(pathToFileURL(path.join(root, 'admin-ui', 'build.mjs')).href);
  const ui = await ensureAdminUi({ quiet: true });
  const js = ui.sizes['app.js'];
  row('admin UI app.js', js.bytes, js.gzip);
  const total = Object.values(ui.sizes).reduce((n, s) => n + s.bytes, 0);
  row('admin UI, all files (js+css+html+svg)', total, ui.gzipTotal);
  for (const [name, contents] of Object.entries(PEER_CASES)) {
    try {
      const { min, gzip } = await measurePeer(contents);
      row(`peer: ${name}`, min, gzip);
    } catch {
      row(`peer: ${name} (not installed)`, 0, 0);
    }
  }
  console.log('\ntargets: SDK createClient (browser) <= 4 KiB gz (half the smallest peer); admin UI <= 60 KiB gz');
}
