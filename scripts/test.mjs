#!/usr/bin/env node
// `npm test`: one vitest run of the four projects of vitest.config.ts, every suite on SQLite and
// on PostgreSQL (`sqlite`, `postgres`, `sqlite-unit`, `postgres-unit`; what runs on one database
// only is named in test/database-skips.ts). Extra arguments go to vitest (a
// `--outputFile.json=FILE` report counts the tests of both databases). It fails when vitest fails,
// when the JSON report counts a failure, or when a full run ran no test on one of the databases
// (a database that could not start is a failure, never a silent skip).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const out = args.find((a) => a.startsWith('--outputFile.json='))?.slice('--outputFile.json='.length);
const vitest = new URL('../node_modules/vitest/vitest.mjs', import.meta.url).pathname;
const counts = path.join(os.tmpdir(), `switchyard-db-report-${process.pid}.json`);
const reporters = args.some((a) => a.startsWith('--reporter')) ? [] : ['--reporter=default'];
reporters.push(`--reporter=${new URL('./db-report.mjs', import.meta.url).pathname}`);

fs.rmSync(counts, { force: true });
const r = spawnSync(process.execPath, [vitest, 'run', ...reporters, ...args], { stdio: 'inherit', env: { ...process.env, SWITCHYARD_DB_REPORT: counts } });
const problems = [];
if (r.status !== 0) problems.push(`vitest exited ${r.status ?? r.signal}`);
if (out) {
  const report = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : undefined;
  if (!report) problems.push(`no JSON report at ${out}`);
  else if (report.numFailedTests > 0) problems.push(`${report.numFailedTests} tests failed`);
}
// A full run (no file filter, no SWITCHYARD_TEST_DB) must have run tests on both databases.
const filtered = args.some((a) => !a.startsWith('-')) || process.env.SWITCHYARD_TEST_DB || args.some((a) => a.startsWith('--project'));
const byProject = fs.existsSync(counts) ? JSON.parse(fs.readFileSync(counts, 'utf8')) : {};
fs.rmSync(counts, { force: true });
if (!filtered) {
  for (const db of ['sqlite', 'postgres']) {
    const ran = Object.entries(byProject).filter(([name]) => name.startsWith(db)).reduce((n, [, c]) => n + c.passed + c.failed, 0);
    if (ran === 0) problems.push(`no test ran on ${db}`);
  }
}
console.log(problems.length ? `\nnpm test FAILED: ${problems.join('; ')}` : '\nnpm test passed on SQLite and PostgreSQL');
process.exit(problems.length ? 1 : 0);
