// Builds what `npm start` and the `switchyard` bin run: the server + CLI bundle (dependencies
// stay external) and the admin UI. Runs on `npm install` (prepare) and before `npm start`.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The server imports the SDK by its package name (`@switchyard-flags/sdk/protocol`, ...): bundled
 * into dist/cli.js from its source (the `switchyard-source` condition of sdk/package.json), while
 * every other package stays external. So the CLI runs the same code the tests ran, without sdk/dist.
 */
const sdkFromSource = {
  name: 'sdk-from-source',
  setup(b) {
    b.onResolve({ filter: /^@switchyard-flags\/sdk(\/|$)/ }, (args) => {
      const sub = args.path.slice('@switchyard-flags/sdk'.length).replace(/^\//, '') || 'index';
      return { path: path.resolve('sdk/src', `${sub}.ts`) };
    });
  },
};

await build({
  entryPoints: ['server/cli.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  plugins: [sdkFromSource],
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
fs.chmodSync('dist/cli.js', 0o755);

// The SDK package (sdk/dist: ESM + .d.ts), the workspace `@switchyard-flags/sdk` (`npm pack -w sdk`).
await import('./sdk/build.mjs');

// `--server-only`: just the CLI bundle (the CLI tests need no UI).
if (!process.argv.includes('--server-only') && fs.existsSync('admin-ui/build.mjs')) {
  await import('./admin-ui/build.mjs');
}
