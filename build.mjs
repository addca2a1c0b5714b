// Builds what `npm start` and the `switchyard` bin run: the server + CLI bundle (dependencies
// stay external) and the admin UI. Runs on `npm install` (prepare) and before `npm start`.
import { build } from 'esbuild';
import fs from 'node:fs';

await build({
  entryPoints: ['server/cli.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
fs.chmodSync('dist/cli.js', 0o755);

// The SDK package (dist/sdk: ESM + .d.ts) behind `switchyard/sdk` and friends.
await import('./sdk/build.mjs');

// `--server-only`: just the CLI bundle (the CLI tests need no UI).
if (!process.argv.includes('--server-only') && fs.existsSync('admin-ui/build.mjs')) {
  await import('./admin-ui/build.mjs');
}
