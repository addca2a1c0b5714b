import { build } from 'esbuild';
import zlib from 'node:zlib';
const re = new RegExp(process.argv[2]);
const out = await build({ stdin: { contents: `import { createClient } from './sdk/src/index.ts'; globalThis.c = createClient;`, resolveDir: process.cwd(), sourcefile: 'app.ts', loader: 'ts' }, bundle: true, write: false, format: 'esm', minify: true, treeShaking: true, platform: 'browser', target: process.argv[3] || 'es2020', mangleProps: re, logLevel: 'silent' });
console.log(out.outputFiles[0].contents.length, zlib.gzipSync(out.outputFiles[0].contents, { level: 9 }).length);
