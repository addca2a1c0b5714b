// A vitest reporter (scripts/test.mjs adds it): counts the tests of each project, so `npm test`
// says how many ran on SQLite and how many on PostgreSQL, and writes the counts to
// $SWITCHYARD_DB_REPORT (JSON) for scripts/test.mjs to check that both databases ran.
import fs from 'node:fs';

export default class DatabaseReport {
  onTestRunEnd(testModules) {
    const byProject = {};
    for (const m of testModules) {
      const c = (byProject[m.project.name] ??= { files: 0, passed: 0, failed: 0, skipped: 0 });
      c.files++;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') c.passed++;
        else if (state === 'failed') c.failed++;
        else c.skipped++;
      }
      // A file that failed to load has no tests: count it as a failure.
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) c.failed++;
    }
    const lines = Object.entries(byProject)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, c]) => `  ${name.padEnd(14)} ${String(c.files).padStart(4)} files  ${String(c.passed).padStart(5)} passed  ${String(c.failed).padStart(3)} failed  ${String(c.skipped).padStart(3)} skipped`);
    console.log(`\nTests per database (vitest projects, vitest.config.ts):\n${lines.join('\n')}`);
    if (process.env.SWITCHYARD_DB_REPORT) fs.writeFileSync(process.env.SWITCHYARD_DB_REPORT, JSON.stringify(byProject));
  }
}
