import fs from 'node:fs';
import path from 'node:path';
import { Migrator, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../migrations/index.js';
import { AuditService } from '../server/audit/audit-service.js';
import { entryHash, GENESIS_HASH } from '../server/audit/audit-hash.js';
import { migrate, migrateDown } from '../server/storage/migrator.js';
import { openStorage } from '../server/storage/open.js';
import type { Storage } from '../server/storage/storage.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { tempDataDir } from './helpers/server.js';

// Migration 0024 (issue 23) with data in every table it touches, on SQLite and PostgreSQL: after
// it, everything is in `production`, nothing is lost, and the audit chain still verifies.

let pg: TestPostgres;
const opened: Storage[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const o of opened) await o.close();
  await pg?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function postgresDb(): Promise<Storage> {
  const o = openStorage({ databaseUrl: await pg.createDatabase(), dbFile: 'unused' });
  opened.push(o);
  return o;
}

async function sqliteDb(): Promise<Storage> {
  const dir = tempDataDir();
  dirs.push(dir);
  const o = openStorage({ dbFile: path.join(dir, 'switchyard.db') });
  opened.push(o);
  return o;
}

const at = '2026-12-01T00:00:00.000Z';
const plan = JSON.stringify({ cohort: [], stages: [{ percent: 5, checks: [] }, { percent: 100, checks: [] }] });
const flagRow = (key: string, extra: Record<string, unknown>) => ({
  key, description: `the ${key} flag`, owner: 'ai@acme', tags: '["ai"]', on_value: 'true', off_value: 'false', salt: `salt-${key}`, version: 3,
  archived: 0, killed: 0, stage: 0, paused: 0, plan_version: 0, created_at: at, created_by: 'alice', updated_at: at, updated_by: 'alice', state_version: 2, ...extra,
});

/** Every table 0024 rebuilds or extends, with its rows in a stable order. */
const TABLES: Record<string, string[]> = {
  flags: ['key'], plan_versions: ['id'], signoffs: ['id'], metric_samples: ['id'], metric_aggregates: ['flag', 'metric', 'cohort'],
  metric_reporters: ['flag', 'reporter'], metric_names: ['flag', 'metric'], flag_usage: ['flag', 'variant'], flag_reach: ['flag', 'day'],
  kill_members: ['kill_id', 'flag'], sdk_keys: ['id'], audit: ['seq'],
};

async function rowsOf(db: Kysely<any>): Promise<Record<string, Array<Record<string, unknown>>>> {
  const out: Record<string, Array<Record<string, unknown>>> = {};
  for (const [table, order] of Object.entries(TABLES)) {
    let q = db.selectFrom(table).selectAll();
    for (const c of order) q = q.orderBy(c);
    out[table] = (await q.execute()).map((r: Record<string, unknown>) => ({ ...r, ...(r.regs ? { regs: Array.from(r.regs as Uint8Array) } : {}) }));
  }
  return out;
}

async function fill(db: Kysely<any>): Promise<void> {
  await db.insertInto('flags').values([
    flagRow('reply-model', { stage: 1, plan, plan_version: 1, plan_author: 'pm-ann', stage_started_at: at, max_stale_seconds: 600 }),
    flagRow('old-banner', { killed: 1, killed_by: 'oncall', killed_at: at, kill_reason: 'outage', kill_id: 'k-1' }),
  ]).execute();
  await db.insertInto('plan_versions').values({ flag: 'reply-model', version: 1, plan, author: 'pm-ann', created_at: at }).execute();
  await db.insertInto('signoffs').values({ flag: 'reply-model', plan_version: 1, stage: 1, actor: 'pm-bob', role: 'pm', comment: 'ok', at, voided_at: null, void_reason: null, snapshot: '{"planVersion":1,"checks":[]}' }).execute();
  for (const value of [0.8, 0.9]) await db.insertInto('metric_samples').values({ flag: 'reply-model', metric: 'eval_score', value, cohort: 'treatment', stage: 1, at, received_at: at, count: 1, stddev: null }).execute();
  await db.insertInto('metric_aggregates').values({ flag: 'reply-model', stage: 1, since: at, metric: 'eval_score', cohort: 'treatment', count: 2, mean: 0.85, m2: 0.005, min: 0.8, max: 0.9, updated_at: at }).execute();
  await db.insertInto('metric_reporters').values({ flag: 'reply-model', stage: 1, since: at, metric: 'eval_score', reporter: 'evals', last_seen_at: at }).execute();
  await db.insertInto('metric_names').values({ flag: 'reply-model', metric: 'eval_score', last_seen_at: at }).execute();
  await db.insertInto('flag_usage').values({ flag: 'reply-model', stage: 1, variant: 'on', day: '2026-12-01', count: 42, last_seen_at: at }).execute();
  await db.insertInto('flag_reach').values({ flag: 'reply-model', stage: 1, day: '2026-12-01', regs: Buffer.from(Uint8Array.from({ length: 64 }, (_, i) => i % 7)) }).execute();
  await db.insertInto('kill_members').values({ kill_id: 'k-1', flag: 'old-banner' }).execute();
  await db.insertInto('sdk_keys').values({ id: 'key-1', name: 'backend', key_hash: 'h'.repeat(64), prefix: 'sy_sdk_abc', created_at: at, created_by: 'admin', revoked_at: null, revoked_by: null, kind: 'server', secure_secret: null }).execute();
  // A hash chain as the server wrote it before 0024: one entry with a client request id, one without.
  let prev = GENESIS_HASH;
  const entries = [
    { action: 'flag.create', flag: 'reply-model', client_request_id: null },
    { action: 'flag.kill', flag: 'old-banner', client_request_id: 'client-7' },
    { action: 'rollout.advance', flag: 'reply-model', client_request_id: null },
  ];
  for (const [i, e] of entries.entries()) {
    const row = { seq: i + 1, at, actor: 'alice', role: 'admin', action: e.action, flag: e.flag, before: null, after: '{"stage":1}', reason: 'r', request_id: `req-${i}`, client_request_id: e.client_request_id, prev_hash: prev, hash: '' };
    row.hash = entryHash(prev, row);
    prev = row.hash;
    await db.insertInto('audit').values(row).execute();
  }
}

describe.each([
  ['PostgreSQL', postgresDb],
  ['SQLite', sqliteDb],
] as const)('migration 0024 with data on %s', (name, open) => {
  it(`moves every flag's state, plan versions, sign-offs, samples, aggregates, usage, reach, SDK keys and kills into production, losing nothing, and the audit chain still verifies (${name})`, async () => {
    const o = await open();
    const db = o.db as unknown as Kysely<any>;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('0023_shared_limits')).error).toBeUndefined();
    await fill(db);
    const before = await rowsOf(db);
    const chain = await new AuditService(o.db).verify();
    expect(chain.ok).toBe(true);

    expect(await migrate(o.db)).toEqual(['0024_environments']);
    const after = await rowsOf(db);
    for (const [table, rows] of Object.entries(after)) {
      expect(rows.length, table).toBe(before[table]!.length);
      expect(rows.length, table).toBeGreaterThan(0);
      const expected = table === 'audit' ? null : 'production';
      for (const r of rows) expect(r.environment, table).toBe(expected);
      expect(rows.map(({ environment: _e, ...rest }) => rest), table).toEqual(before[table]);
    }
    expect(await db.selectFrom('environments').select(['key', 'position', 'protected', 'require_signoff', 'archived']).execute()).toEqual([
      { key: 'production', position: 0, protected: 1, require_signoff: 1, archived: 0 },
    ]);
    expect(await new AuditService(o.db).verify(chain.ok ? chain.head : undefined)).toEqual({ ok: true, count: 3, head: chain.ok ? chain.head : '' });

    // The rebuilt identity columns go on after the copied ids.
    const next = await db.insertInto('signoffs').values({ environment: 'production', flag: 'reply-model', plan_version: 1, stage: 2, actor: 'pm-cy', role: 'pm', comment: 'next', at }).returning('id').executeTakeFirstOrThrow();
    expect(Number(next.id)).toBeGreaterThan(Number(before.signoffs![0]!.id));
    // A flag's key may now have a row per environment, and the references hold per environment.
    await db.insertInto('environments').values({ key: 'staging', name: 'Staging', position: 1, protected: 0, require_signoff: 1, archived: 0, created_at: at, created_by: 'a', updated_at: at, updated_by: 'a', version: 1 }).execute();
    await db.insertInto('flags').values({ ...flagRow('reply-model', {}), environment: 'staging' }).execute();
    await db.insertInto('plan_versions').values({ environment: 'staging', flag: 'reply-model', version: 1, plan, author: 'pm-ann', created_at: at }).execute();
    await expect(db.insertInto('plan_versions').values({ environment: 'qa', flag: 'reply-model', version: 1, plan, author: 'x', created_at: at }).execute()).rejects.toThrow();

    // And back: down keeps production's rows as they were before 0024.
    await db.deleteFrom('plan_versions').where('environment', '=', 'staging').execute();
    await db.deleteFrom('signoffs').where('id', '=', next.id).execute();
    await db.deleteFrom('flags').where('environment', '=', 'staging').execute();
    expect(await migrateDown(o.db)).toBe('0024_environments');
    expect(await rowsOf(db)).toEqual(before);
  });
});
