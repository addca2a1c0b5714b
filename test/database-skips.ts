/**
 * The one list of what does NOT run on both databases, each with why. vitest.config.ts runs every
 * test file in two projects, `sqlite` and `postgres` (test/helpers/server.ts and
 * test/helpers/unit-services.ts give each test a database of its project's kind); a file named
 * here is left out of the project named by `skip`, and a single test is skipped through
 * `itSqliteOnly(name, …)` (test/helpers/test-db.ts), which accepts only a name listed here.
 * A file not listed runs on both: adding a test never needs an edit here.
 */
export interface Skip {
  /** The project the file or test does not run in. */
  skip: 'postgres' | 'sqlite';
  why: string;
}

const SQLITE_FILE = 'inspects or damages the SQLite file itself, which a PostgreSQL server does not have';
const SDK_ONLY = 'the SDK alone (fake sockets or a packed package), no server database';
const UI_ONLY = 'drives the admin UI in Chromium; every API call under it runs on both databases in the integration suites';
const OWN_CLUSTER = 'PostgreSQL only: starts its own embedded cluster whatever the project, so a second (sqlite) run would repeat it';

/** Keys: a file (`test/….test.ts`, `sdk/test/…`) or a test's full name as `it` is given it. */
export const SKIPS: Record<string, Skip> = {
  // No database at all.
  'test/architecture.test.ts': { skip: 'postgres', why: 'reads the source tree; no database' },
  'test/response-validator.test.ts': { skip: 'postgres', why: 'the OpenAPI response validator on a bare express app; no database' },
  'test/openapi-lint.test.ts': { skip: 'postgres', why: 'lints the OpenAPI document; the served document does not depend on the database' },
  'test/cli-errors.test.ts': { skip: 'postgres', why: 'one-line CLI errors before or instead of opening a database (DATABASE_URL errors: test/postgres-cli.test.ts)' },
  'test/security-secret.test.ts': { skip: 'postgres', why: 'the signing secret file on disk; no database' },
  'test/readme.test.ts': { skip: 'postgres', why: "runs the README's shell blocks as a reader would: the quick start serves from SQLite" },
  'sdk/test/**': { skip: 'postgres', why: SDK_ONLY },
  'server/rollout/sequential-simulation.test.ts': { skip: 'postgres', why: 'pure statistics over simulated samples (12 s of CPU); no database' },
  'server/rollout/metric-check.test.ts': { skip: 'postgres', why: 'pure statistics over generated samples; no database' },
  'test/sdk-backoff.test.ts': { skip: 'postgres', why: SDK_ONLY },
  'test/sdk-package.test.ts': { skip: 'postgres', why: SDK_ONLY },
  // SQLite file specifics.
  'test/backup.test.ts': { skip: 'postgres', why: `\`switchyard backup\` copies the SQLite file (PostgreSQL: pg_dump, docs/deploy.md); ${SQLITE_FILE}` },
  'test/data-dir.test.ts': { skip: 'postgres', why: 'the DATA_DIR lock and file modes guard the SQLite file; on PostgreSQL replicas share one database and hold no lock' },
  'test/reliability-crash.test.ts': { skip: 'postgres', why: `kill -9 mid-write, then reads the SQLite file: ${SQLITE_FILE}` },
  'test/reliability-faults.test.ts': { skip: 'postgres', why: `a busy and a full SQLite file (busy_timeout, max_page_count): ${SQLITE_FILE}` },
  'test/cli.test.ts': { skip: 'postgres', why: 'the CLI on a DATA_DIR SQLite file (init, migrate, a foreign file); on PostgreSQL: test/postgres-cli.test.ts' },
  'test/audit-checkpoints.test.ts': { skip: 'postgres', why: `forges the audit chain in the SQLite file and runs \`verify-audit FILE\` on it (on PostgreSQL: test/cli-secret-file.test.ts, test/audit-checkpoint-chain.test.ts); ${SQLITE_FILE}` },
  // Single tests.
  'while the database refuses writes, the write and /readyz both answer 503 with Retry-After, and /metrics says db_write_ok 0; after, both recover': { skip: 'postgres', why: `holds a write lock on the SQLite file from a second connection; ${SQLITE_FILE}` },
  'a database switched to read-only: the refused write makes /readyz 503, and its probe write sees when writes work again': { skip: 'postgres', why: 'PRAGMA query_only on the SQLite handle' },
  'when the DATA_DIR lock file is removed or replaced, /readyz answers 503 naming it': { skip: 'postgres', why: 'the DATA_DIR lock guards the SQLite file; PostgreSQL servers hold none' },
  'is refused at start with a clear message (startServer and the CLI), instead of being served as healthy': { skip: 'postgres', why: `corrupts a page of the SQLite file; ${SQLITE_FILE}` },
  'a write refused by a full database answers 503 with Retry-After': { skip: 'postgres', why: `fills the SQLite file (max_page_count); ${SQLITE_FILE}` },
  // PostgreSQL only.
  'test/oidc-replicas.test.ts': { skip: 'sqlite', why: 'two replicas share sessions through one PostgreSQL database (the run\'s); a SQLite server is one process' },
  'test/cluster-acks.test.ts': { skip: 'sqlite', why: OWN_CLUSTER },
  'test/cluster-bus.test.ts': { skip: 'sqlite', why: OWN_CLUSTER },
  'test/cluster-environments.test.ts': { skip: 'sqlite', why: OWN_CLUSTER },
  'test/cluster-processes.test.ts': { skip: 'sqlite', why: OWN_CLUSTER },
  'test/cluster-replicas.test.ts': { skip: 'sqlite', why: OWN_CLUSTER },
  'test/cluster-rules.test.ts': { skip: 'sqlite', why: OWN_CLUSTER },
  'test/postgres-cli.test.ts': { skip: 'sqlite', why: OWN_CLUSTER },
  'test/postgres-migrations.test.ts': { skip: 'sqlite', why: OWN_CLUSTER },
  'test/environments-migration.test.ts': { skip: 'sqlite', why: `${OWN_CLUSTER} (it migrates SQLite files itself, beside PostgreSQL)` },
  'test/postgres-replicas.test.ts': { skip: 'sqlite', why: OWN_CLUSTER },
  'test/postgres-serving.test.ts': { skip: 'sqlite', why: OWN_CLUSTER },
  'test/cluster-limits.test.ts': { skip: 'sqlite', why: `${OWN_CLUSTER} (two replicas sharing their limits)` },
  'test/postgres-revocation-signal.test.ts': { skip: 'sqlite', why: 'a revocation reaching another replica by its NOTIFY: replicas share a database only on PostgreSQL (SQLite: data_version, test/security-token-revocation.test.ts)' },
  'test/deploy-lb.test.ts': { skip: 'sqlite', why: `${OWN_CLUSTER} (three \`switchyard serve\` replicas on it behind haproxy and nginx)` },
  // The browser suites.
  'test/e2e/oidc-sign-in.test.ts': { skip: 'postgres', why: UI_ONLY },
  ...Object.fromEntries(
    ['accessibility', 'flag-admin', 'flag-list-paging', 'gate-evidence', 'incident', 'kill-reach', 'ofrep-web', 'operations', 'phone', 'rollout-wording', 'rollout', 'sdk-lease', 'usage'].map((f) => [
      `test/e2e/${f}.test.ts`,
      { skip: 'postgres', why: UI_ONLY } satisfies Skip,
    ]),
  ),
};

/** The file globs a project leaves out. */
export function skippedFiles(project: Skip['skip']): string[] {
  return Object.entries(SKIPS)
    .filter(([key, s]) => s.skip === project && /^(test|sdk|server)\/.*(\.test\.ts|\*\*)$/.test(key))
    .map(([key]) => key);
}
