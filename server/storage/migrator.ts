import { Migrator, type Migration } from 'kysely';
import { migrations } from '../../migrations/index.js';
import type { Db } from './schema.js';

export class MigrationFailed extends Error {
  constructor(
    readonly migration: string | undefined,
    override readonly cause: unknown,
  ) {
    super(
      `database migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'MigrationFailed';
  }
}

function migrator(db: Db): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async (): Promise<Record<string, Migration>> => migrations },
  });
}

/** Runs every pending migration (SQLite or PostgreSQL); throws MigrationFailed naming the one that failed. */
export async function migrate(db: Db): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationFailed(failed?.migrationName, error);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Rolls back the last applied migration (`down`); returns its name, or undefined when none was applied. */
export async function migrateDown(db: Db): Promise<string | undefined> {
  const { error, results } = await migrator(db).migrateDown();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationFailed(failed?.migrationName, error);
  }
  return results?.find((r) => r.status === 'Success')?.migrationName;
}
