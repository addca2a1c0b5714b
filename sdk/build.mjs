// Builds the SDK package entries into dist/sdk/ (ESM JavaScript + .d.ts), which the root
// package.json `exports` map to `switchyard/sdk`, `switchyard/sdk/node`,
// `switchyard/sdk/openfeature` and `switchyard/sdk/openfeature-web`. Run by ../build.mjs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
fs.rmSync(path.join(here, '..', 'dist', 'sdk'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.build.json')], { stdio: 'inherit' });
