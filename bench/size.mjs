// Measures the SDK's browser bundle: esbuild (ESM, minified, tree-shaken, browser platform)
// then gzip -9. Run: `node bench/size.mjs`. test/sdk-package.test.ts holds it under budget.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What an app pulls in for each import; `contents` is the app's own entry. */
export const CASES = {
  'createClient (typical app)': `import { createClient } from './sdk/src/index.ts'; globalThis.c = createClient;`,
  'whole browser entry': `export * from './sdk/src/index.ts';`,
  'web OpenFeature provider': `import { SwitchyardWebProvider } from './sdk/src/openfeature-web.ts'; globalThis.p = SwitchyardWebProvider;`,
};

/** Bytes of one case: minified, and minified + gzip -9; `code` is the bundle itself. */
export async function measure(contents) {
  const out = await build({
    stdin: { contents, resolveDir: root, sourcefile: 'app.ts', loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    minify: true,
    treeShaking: true,
    platform: 'browser',
    target: 'es2020',
    logLevel: 'silent',
  });
  const bytes = out.outputFiles[0].contents;
  return { min: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length, code: out.outputFiles[0].text };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [name, contents] of Object.entries(CASES)) {
    const { min, gzip } = await measure(contents);
    console.log(`${name.padEnd(28)} ${String(min).padStart(7)} B min   ${String(gzip).padStart(6)} B min+gzip (${(gzip / 1024).toFixed(2)} KiB)`);
  }
}
