#!/usr/bin/env node
// `npm test`: every suite on SQLite, then the storage suites on PostgreSQL (`npm run test:pg`'s
// list), both always run. Extra arguments go to both vitest runs; a `--outputFile.json=FILE`
// gets one report per run and FILE the two summed, so CI counts every test of both databases.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const pgFiles = pkg.scripts['test:pg'].split(/\s+/).filter((w) => w.startsWith('test/'));
const args = process.argv.slice(2);
const out = args.find((a) => a.startsWith('--outputFile.json='))?.slice('--outputFile.json='.length);
const vitest = new URL('../node_modules/vitest/vitest.mjs', import.meta.url).pathname;

function run(label, env, files, report) {
  console.log(`\n== ${label}`);
  const pass = args.map((a) => (report && a.startsWith('--outputFile.json=') ? `--outputFile.json=${report}` : a));
  const r = spawnSync(process.execPath, [vitest, 'run', ...files, ...pass], { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

const sqliteReport = out && `${out}.sqlite.json`;
const pgReport = out && `${out}.postgres.json`;
const a = run('every suite on SQLite', {}, [], sqliteReport);
const b = run('the storage suites on PostgreSQL (SWITCHYARD_TEST_DB=postgres)', { SWITCHYARD_TEST_DB: 'postgres' }, pgFiles, pgReport);

if (out) {
  const read = (f) => (fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : { numPassedTests: 0, numFailedTests: 1, missing: f });
  const [s, p] = [read(sqliteReport), read(pgReport)];
  fs.writeFileSync(out, JSON.stringify({ numPassedTests: s.numPassedTests + p.numPassedTests, numFailedTests: s.numFailedTests + p.numFailedTests, runs: { sqlite: sqliteReport, postgres: pgReport } }));
}
let failedInReports = false;
if (out) failedInReports = JSON.parse(fs.readFileSync(out, 'utf8')).numFailedTests > 0;
console.log(`\nSQLite run: ${a === 0 ? 'passed' : 'FAILED'}; PostgreSQL run: ${b === 0 ? 'passed' : 'FAILED'}`);
process.exit(a === 0 && b === 0 && !failedInReports ? 0 : 1);
