// `npm run bench`: installs the peer SDKs into bench/node_modules when missing, then runs every
// bench at its default size, one after another (each also runs on its own with a size argument).
//   npm run bench                  all benches, default sizes
//   npm run bench -- eval size     only these
//   npm run bench -- --smoke       tiny sizes, no peers (proves the scripts still work)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const smoke = process.argv.includes('--smoke');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));

const BENCHES = {
  eval: smoke ? ['10000', '--rounds=1', '--no-peers'] : [],
  propagation: smoke ? ['20', '--kills=3'] : [],
  connections: smoke ? ['50', '--soak-seconds=2'] : [],
  'connection-flood': smoke ? ['300', '--cap=100', '--kills=5'] : [],
  'write-load': smoke ? ['--seconds=2', '--kills=5'] : [],
  audit: smoke ? ['2000'] : [],
  'read-load': smoke ? ['40', '--kills=4', '--rounds=2', '--value-kb=2'] : [],
  ofrep: smoke ? ['--seconds=1', '--flags=5', '--concurrency=4'] : [],
  cluster: smoke ? ['20', '--kills=2', '--flood-kills=3', '--no-unleash'] : [],
  size: [],
};

if (!smoke && !fs.existsSync(path.join(here, 'node_modules', 'unleash-client'))) {
  console.log('installing the peer SDKs into bench/node_modules ...');
  const r = spawnSync('npm', ['--prefix', here, 'install', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

let failed = 0;
for (const [name, argv] of Object.entries(BENCHES)) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n## bench/${name}\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(here, `${name}.mjs`), ...argv], { stdio: 'inherit' });
  console.log(`\n(bench/${name}: exit ${r.status}, ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
