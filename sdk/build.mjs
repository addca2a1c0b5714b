// Builds the package's entries into sdk/dist/, which sdk/package.json's `exports` map to
// `@switchyard-flags/sdk`, `/node`, `/openfeature`, `/openfeature-web` and the wire-type entries the
// server shares (`/protocol`, `/api`, `/evaluate`, `/bucket`, `/reach`).
// Run by the root build (`npm install`'s prepare) and by `npm pack -w sdk` (prepack).
//
// - Types: tsc emits the .d.ts files only (tsconfig.build.json; `@internal` members are stripped).
// - JavaScript: esbuild bundles the entries together (code splitting: shared code in chunk-*.js,
//   each module once), ES2020, readable (not minified: an app's bundler minifies), with a linked
//   source map. Internal properties (a trailing `_`: `p.pre_`, `flags.read_`, `link.up_` …) are
//   mangled to short names, the same across entries and builds (sdk/mangle.json, committed, like
//   Preact's mangle.json). Public API names and wire fields (protocol.ts) never end in `_`.
// - ./socket.js stays a file of its own: the package's `browser` field swaps it for
//   socket-browser.js, so a browser bundle carries no Node socket path.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, 'src');
const outdir = path.join(here, 'dist');
const cacheFile = path.join(here, 'mangle.json');
const ENTRIES = ['index', 'node', 'openfeature', 'openfeature-web', 'protocol', 'api', 'evaluate', 'bucket', 'reach'];

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
fs.rmSync(outdir, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.build.json')], { stdio: 'inherit' });

/** What every build of the package shares: ES2020 modules, internal names mangled by one cache. */
const common = {
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  sourcemap: 'linked',
  minifySyntax: true,
  mangleProps: /[^_]_$/,
  external: ['ws', '@openfeature/*', 'node:*'],
  logLevel: 'warning',
  legalComments: 'none',
};
let mangleCache = fs.existsSync(cacheFile) ? JSON.parse(fs.readFileSync(cacheFile, 'utf8')) : {};
const keepSocketApart = {
  name: 'socket-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/socket\.js$/ }, () => ({ path: './socket.js', external: true }));
  },
};
const main = await build({
  ...common,
  entryPoints: ENTRIES.map((e) => path.join(src, `${e}.ts`)),
  splitting: true,
  chunkNames: 'chunk-[hash]',
  plugins: [keepSocketApart],
  mangleCache,
});
mangleCache = main.mangleCache;
const sockets = await build({ ...common, entryPoints: ['socket', 'socket-browser'].map((e) => path.join(src, `${e}.ts`)), mangleCache });
mangleCache = sockets.mangleCache;
const sorted = Object.fromEntries(Object.entries(mangleCache).sort(([a], [b]) => a.localeCompare(b)));
const text = JSON.stringify(sorted, null, 2) + '\n';
if (!fs.existsSync(cacheFile) || fs.readFileSync(cacheFile, 'utf8') !== text) fs.writeFileSync(cacheFile, text);
