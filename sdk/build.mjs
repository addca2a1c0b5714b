// Builds the package's entries into sdk/dist/ (ESM JavaScript + .d.ts), which sdk/package.json's
// `exports` map to `@switchyard-flags/sdk`, `/node`, `/openfeature`, `/openfeature-web` and the
// wire-type entries the server shares (`/protocol`, `/api`, `/evaluate`, `/bucket`, `/reach`).
// Run by the root build (`npm install`'s prepare) and by `npm pack -w sdk` (prepack).
// tsconfig.build.json turns isolatedModules off so that tsc inlines the `const enum`s (as esbuild
// does from source): with it on, each step of evaluate() was an enum object property load at
// run time, and the enum objects added about 200 B min+gzip to an app's bundle.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
fs.rmSync(path.join(here, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.build.json')], { stdio: 'inherit' });
