// Bundles the admin UI (Lit) into dist/admin-ui/: index.html, app.js, app.css. Minified, no CDN,
// no inline script. Importing this module builds once (the root build.mjs and the e2e tests do);
// files are written to a temp name and renamed, so concurrent builds never serve a torn file.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');

/** Builds the admin UI into `outdir` (default dist/admin-ui) and returns the sizes it wrote. */
export async function buildAdminUi({ outdir = path.join(root, 'dist', 'admin-ui'), quiet = false } = {}) {
  const result = await build({
    entryPoints: { app: path.join(here, 'src', 'main.ts') },
    outdir,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    platform: 'browser',
    // The SDK's wire types and evaluate() from its source (sdk/package.json's `switchyard-source`).
    conditions: ['switchyard-source'],
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
    tsconfig: path.join(root, 'tsconfig.json'),
  });
  fs.mkdirSync(outdir, { recursive: true });
  const files = [
    ...result.outputFiles.map((f) => ({ name: path.basename(f.path), data: Buffer.from(f.contents) })),
    { name: 'index.html', data: fs.readFileSync(path.join(here, 'index.html')) },
    { name: 'app.css', data: fs.readFileSync(path.join(here, 'app.css')) },
    { name: 'favicon.svg', data: fs.readFileSync(path.join(here, 'favicon.svg')) },
  ];
  const sizes = {};
  for (const f of files) {
    const tmp = path.join(outdir, `.${f.name}.${process.pid}.${Date.now()}.tmp`);
    fs.writeFileSync(tmp, f.data);
    fs.renameSync(tmp, path.join(outdir, f.name));
    sizes[f.name] = { bytes: f.data.length, gzip: zlib.gzipSync(f.data, { level: 9 }).length };
  }
  const gz = Object.values(sizes).reduce((n, s) => n + s.gzip, 0);
  if (!quiet) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    const js = sizes['app.js'];
    console.log(`admin UI -> ${path.relative(root, outdir)}: app.js ${kb(js.bytes)} (${kb(js.gzip)} gzipped), total ${kb(gz)} gzipped`);
  }
  return { outdir, sizes, gzipTotal: gz };
}

let built;
/** Builds once per process; later calls share the first build. */
export function ensureAdminUi(opts) {
  built ??= buildAdminUi(opts);
  return built;
}

await ensureAdminUi({ quiet: process.env.SWITCHYARD_QUIET_BUILD === '1' });
