import { measure, CASES } from './size.mjs';
const r = await measure(CASES['createClient (typical app)']);
console.log(r.min, r.gzip);
if (process.argv[2]) (await import('node:fs')).writeFileSync(process.argv[2], r.code);
