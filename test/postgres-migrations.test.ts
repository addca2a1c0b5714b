import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { migrate, migrateDown } from '../server/storage/migrator.js';
import { openStorage } from '../server/storage/open.js';
import { type Storage } from '../server/storage/storage.js';
import { migrations } from '../migrations/index.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { tempDataDir } from './helpers/server.js';
import { configFromEnv } from '../server/config.js';
import { ConfigError } from '../server/errors.js';

const TABLES = [
  'audit', 'audit_checkpoints', 'environments', 'flag_reach', 'flag_usage', 'flags', 'kill_members', 'leases', 'meta', 'metric_aggregates',
  'metric_names', 'metric_reporters', 'metric_samples', 'plan_versions', 'rate_limits', 'replicas', 'sdk_keys', 'sessions', 'signoffs', 'token_revocations',
];

let pg: TestPostgres;
const opened: Storage[] = [];
const dirs: string[] = [];

async function postgresDb(): Promise<Storage> {
  const o = openStorage({ databaseUrl: await pg.createDatabase(), dbFile: 'unused' });
  opened.push(o);
  return o;
}

function sqliteDb(): Storage {
  const dir = tempDataDir();
  dirs.push(dir);
  const o = openStorage({ dbFile: path.join(dir, 'switchyard.db') });
  opened.push(o);
  return o;
}

async function tables(o: Storage): Promise<string[]> {
  const all = await o.db.introspection.getTables();
  return all.map((t) => t.name).filter((n) => !n.startsWith('kysely_')).sort();
}

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const o of opened) await o.close();
  await pg?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe.each([
  ['PostgreSQL', postgresDb],
  ['SQLite', async () => sqliteDb()],
] as const)('the migrations on %s', (name, open) => {
  it(`every migration applies, rolls back one by one, and applies again on ${name}`, async () => {
    const o = await open();
    expect(o.kind).toBe(name === 'PostgreSQL' ? 'postgres' : 'sqlite');
    const applied = await migrate(o.db);
    expect(applied).toEqual(Object.keys(migrations).sort());
    expect(await tables(o)).toEqual(TABLES);

    const rolledBack: string[] = [];
    for (let name = await migrateDown(o.db); name !== undefined; name = await migrateDown(o.db)) rolledBack.push(name);
    expect(rolledBack).toEqual(Object.keys(migrations).sort().reverse());
    expect(await tables(o)).toEqual([]);

    expect(await migrate(o.db)).toEqual(Object.keys(migrations).sort());
    expect(await tables(o)).toEqual(TABLES);
  });
});

describe('the schema on PostgreSQL', () => {
  let o: Storage;
  const entry = { seq: 1, at: '2026-12-01T00:00:00.000Z', actor: 'alice', role: 'admin', action: 'flag.create', flag: null, before: null, after: null, reason: null, request_id: 'r1', client_request_id: null, environment: null, prev_hash: '0'.repeat(64), hash: 'a'.repeat(64) };

  beforeAll(async () => {
    o = await postgresDb();
    await migrate(o.db);
    await o.db.insertInto('audit').values(entry).execute();
    await o.db.insertInto('audit_checkpoints').values({ seq: 1, head: 'a'.repeat(64), at: entry.at, key_id: 'k1', signature: 'sig' }).execute();
  });

  it('the database refuses to update or delete an audit entry, and the entry stays as written', async () => {
    await expect(o.db.updateTable('audit').set({ actor: 'mallory' }).where('seq', '=', 1).execute()).rejects.toThrow(/audit trail is append-only/);
    await expect(o.db.deleteFrom('audit').where('seq', '=', 1).execute()).rejects.toThrow(/audit trail is append-only/);
    await expect(sql`TRUNCATE audit`.execute(o.db)).rejects.toThrow(/audit trail is append-only/);
    expect(await o.db.selectFrom('audit').selectAll().execute()).toEqual([entry]);
  });

  it('the database refuses to update or delete an audit checkpoint', async () => {
    await expect(o.db.updateTable('audit_checkpoints').set({ signature: 'forged' }).execute()).rejects.toThrow(/audit checkpoints are append-only/);
    await expect(o.db.deleteFrom('audit_checkpoints').execute()).rejects.toThrow(/audit checkpoints are append-only/);
    expect(await o.db.selectFrom('audit_checkpoints').select(['seq', 'signature']).execute()).toEqual([{ seq: 1, signature: 'sig' }]);
  });

  it('appending to the audit trail still works under the triggers', async () => {
    await o.db.insertInto('audit').values({ ...entry, seq: 2, prev_hash: entry.hash, hash: 'b'.repeat(64) }).execute();
    const rows = await o.db.selectFrom('audit').select('seq').orderBy('seq').execute();
    expect(rows).toEqual([{ seq: 1 }, { seq: 2 }]);
  });

  it('sign-offs get increasing ids from the identity column, metric values keep full float precision and reach registers round-trip as bytes', async () => {
    const flag = { environment: 'production', key: 'checkout', description: '', owner: 'team', tags: '[]', on_value: 'true', off_value: 'false', salt: 's', version: 1, created_at: entry.at, created_by: 'alice', updated_at: entry.at, updated_by: 'alice', state_version: 1, archived: 0, killed: 0, stage: 0, paused: 0, plan_version: 0 };
    await o.db.insertInto('flags').values(flag).execute();
    const signoff = { environment: 'production', flag: 'checkout', plan_version: 1, stage: 1, actor: 'pm', role: 'admin', comment: 'ok', at: entry.at, voided_at: null, void_reason: null };
    const a = await o.db.insertInto('signoffs').values(signoff).returning('id').executeTakeFirstOrThrow();
    const b = await o.db.insertInto('signoffs').values(signoff).returning('id').executeTakeFirstOrThrow();
    expect(b.id).toBeGreaterThan(a.id);
    await o.db.insertInto('metric_samples').values({ environment: 'production', flag: 'checkout', metric: 'latency', value: 0.1 + 0.2, cohort: 'treatment', stage: 1, at: entry.at, received_at: entry.at }).execute();
    expect((await o.db.selectFrom('metric_samples').select('value').executeTakeFirstOrThrow()).value).toBe(0.1 + 0.2);
    const regs = Uint8Array.from({ length: 64 }, (_, i) => (i * 7) % 256);
    await o.db.insertInto('flag_reach').values({ environment: 'production', flag: 'checkout', stage: 1, day: '2026-12-01', regs }).execute();
    const back = await o.db.selectFrom('flag_reach').select('regs').executeTakeFirstOrThrow();
    expect(Array.from(back.regs)).toEqual(Array.from(regs));
  });
});

describe('the backfills of migrations 0006 and 0007 on PostgreSQL', () => {
  it('a kill audited before migration 0006 lands in kill_members, and samples before 0007 in metric_aggregates', async () => {
    const o = await postgresDb();
    const db = o.db as unknown as Kysely<any>;
    const { Migrator } = await import('kysely');
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const partial = await migrator.migrateTo('0005_reach');
    expect(partial.error).toBeUndefined();
    const at = '2026-12-01T00:00:00.000Z';
    await db.insertInto('flags').values({ key: 'checkout', description: '', owner: 't', tags: '[]', on_value: 'true', off_value: 'false', salt: 's', version: 1, created_at: at, created_by: 'a', updated_at: at, updated_by: 'a', state_version: 1, killed: 1, kill_id: 'k-1' }).execute();
    await db.insertInto('audit').values({ seq: 1, at, actor: 'a', role: 'admin', action: 'flag.kill', flag: 'checkout', before: '{"killed":false}', after: '{"killed":true,"killId":"k-1"}', reason: 'bad', request_id: 'r', prev_hash: '0'.repeat(64), hash: 'a'.repeat(64) }).execute();
    for (const value of [1, 2, 3]) await db.insertInto('metric_samples').values({ flag: 'checkout', metric: 'errors', value, cohort: 'treatment', stage: 0, at, received_at: at }).execute();

    expect(await migrate(o.db)).toContain('0007_metric_aggregates');
    expect(await o.db.selectFrom('kill_members').selectAll().execute()).toEqual([{ environment: 'production', kill_id: 'k-1', flag: 'checkout' }]);
    // Backfilled by 0007 as sums, converted by 0020 to mean and M2 = Σ(x − mean)² (issue 20 #2).
    const agg = await o.db.selectFrom('metric_aggregates').select(['metric', 'cohort', 'count', 'mean', 'm2', 'min', 'max']).execute();
    expect(agg).toEqual([{ metric: 'errors', cohort: 'treatment', count: 3, mean: 2, m2: 2, min: 1, max: 3 }]);
  });
});

describe('DATABASE_URL', () => {
  it('a postgres:// DATABASE_URL opens PostgreSQL through the configuration, and without it SQLite in DATA_DIR', async () => {
    const url = await pg.createDatabase();
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const onPg = openStorage(configFromEnv({ DATABASE_URL: url, DATA_DIR: dataDir }));
    opened.push(onPg);
    expect(onPg.kind).toBe('postgres');
    const { rows } = await sql<{ v: string }>`SELECT current_database() AS v`.execute(onPg.db);
    expect(`${url.slice(0, url.lastIndexOf('/') + 1)}${rows[0]!.v}`).toBe(url);
    const onSqlite = openStorage(configFromEnv({ DATA_DIR: dataDir }));
    opened.push(onSqlite);
    expect(onSqlite.kind).toBe('sqlite');
    expect(fs.existsSync(path.join(dataDir, 'switchyard.db'))).toBe(true);
  });

  it('a DATABASE_URL that is not a postgres URL is refused at startup with a clear message', () => {
    for (const bad of ['mysql://u@h/db', 'not a url', 'sqlite:./data/x.db']) {
      expect(() => configFromEnv({ DATABASE_URL: bad })).toThrow(ConfigError);
      expect(() => configFromEnv({ DATABASE_URL: bad })).toThrow(/DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    }
    expect(configFromEnv({ DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/db' }).databaseUrl).toBe('postgresql://u:p@127.0.0.1:5432/db');
    expect(configFromEnv({}).databaseUrl).toBeUndefined();
  });
});
