// Loads the project's TypeScript from a bench script: esbuild bundles an entry (our own files
// inlined, npm packages left external) into bench/.build/ and the bench imports the result.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = path.join(root, 'bench', '.build');

/** Bundles `contents` (a TS module whose imports are relative to the repo root) to a file; returns its path. */
export async function bundleTs(name, contents) {
  fs.mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `${name}.${process.pid}.mjs`);
  await build({
    stdin: { contents, resolveDir: root, sourcefile: `${name}.ts`, loader: 'ts' },
    bundle: true,
    outfile,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

/** Bundles `contents` and imports it. */
export async function importTs(name, contents) {
  const outfile = await bundleTs(name, contents);
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    fs.rmSync(outfile, { force: true });
  }
}

/** The SDK (client, evaluate, bucketing, OpenFeature provider) as the benches use it. */
export const SDK_ENTRY = `export * from './sdk/src/index.ts';
     export { murmur3, bucketOf, saltSeed } from './sdk/src/bucket.ts';
     export { SwitchyardProvider } from './sdk/src/openfeature.ts';`;
export const loadSdk = () => importTs('sdk', SDK_ENTRY);

/** The server's start-up and token helpers. */
export const loadServer = () =>
  importTs(
    'server',
    `export { startServer } from './server/main.ts';
     export { configFromEnv } from './server/config.ts';
     export { issueToken } from './server/auth/tokens.ts';
     export { createLogger } from './server/log.ts';`,
  );
