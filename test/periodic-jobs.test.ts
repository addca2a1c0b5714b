import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

/** The value of one sample line of a /metrics scrape, or undefined when the series is absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let ts: TestServer;
const onPostgres = () => ts.running.config.databaseUrl !== undefined;
beforeAll(async () => {
  ts = await startTestServer({ config: { metricsToken: 'scrape-secret-1234' } });
});
afterAll(async () => {
  await ts?.close();
});

const scrape = async () => (await ts.api('GET', '/metrics', { token: 'scrape-secret-1234' })).text;

describe('periodic jobs of a running server', () => {
  it('every periodic loop of the server is a job of its one scheduler', () => {
    const expected = ['audit_checkpoint', 'auto_advance', 'retention', 'telemetry_flush', ...(onPostgres() ? ['cluster_heartbeat', 'rate_limit_sweep'] : ['wal_checkpoint'])];
    expect(ts.running.jobs.names.sort()).toEqual(expected.sort());
  });

  it('on PostgreSQL the rate limits\' old windows are swept by a job of the scheduler, and the sweep keeps the current ones', async () => {
    if (!onPostgres()) return expect(ts.running.jobs.get('rate_limit_sweep')).toBeUndefined();
    const { sql } = await import('kysely');
    const now = Date.now();
    await sql`INSERT INTO rate_limits (key, points, expire) VALUES ('old@1', 1, ${now - 120_000}), ('current@2', 1, ${now + 120_000})`.execute(ts.running.storage.db);
    await ts.running.jobs.get('rate_limit_sweep')!.tick();
    const keys = (await sql<{ key: string }>`SELECT key FROM rate_limits WHERE key IN ('old@1', 'current@2')`.execute(ts.running.storage.db)).rows.map((r) => r.key);
    expect(keys).toEqual(['current@2']);
  });

  it('a job that ran shows in /metrics as a duration histogram labelled by job, with its failures counted at zero', async () => {
    await createFlag(ts, 'ticked');
    await ts.running.jobs.get('retention')!.tick();
    await ts.running.jobs.get('auto_advance')!.tick();
    const text = await scrape();
    expect(value(text, 'switchyard_job_duration_seconds_count{job="retention"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'switchyard_job_duration_seconds_count{job="auto_advance"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'switchyard_job_duration_seconds_bucket{le="+Inf",job="retention"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'switchyard_job_failures_total{job="retention"}')).toBe(0);
    // The audit checkpoint runs once at start: its run is there without a tick by hand.
    await ts.running.checkpoints.settled();
    expect(value(await scrape(), 'switchyard_job_duration_seconds_count{job="audit_checkpoint"}')).toBeGreaterThanOrEqual(1);
  });

  it('a job that throws is logged with its name and counted in switchyard_job_failures_total, and the server keeps serving', async () => {
    const job = ts.running.jobs.every('test_broken', 3_600_000, () => {
      throw new Error('the disk is full');
    });
    await job.tick();
    await job.tick();
    const text = await scrape();
    expect(value(text, 'switchyard_job_failures_total{job="test_broken"}')).toBe(2);
    expect(value(text, 'switchyard_job_duration_seconds_count{job="test_broken"}')).toBe(2);
    const logged = ts.logs.map((l) => JSON.parse(l)).filter((l) => l.job === 'test_broken');
    expect(logged[0]).toMatchObject({ level: 50, err: { message: 'the disk is full' } });
    expect((await ts.api('GET', '/api/flags/ticked', { as: 'viewer' })).status).toBe(200);
    await job.stop();
  });

  it('on PostgreSQL, a heartbeat that cannot write its row is a failed cluster_heartbeat run in /metrics', async (ctx) => {
    if (!onPostgres()) return ctx.skip(); // SQLite has no cluster, so no heartbeat
    const failures = async () => value(await scrape(), 'switchyard_job_failures_total{job="cluster_heartbeat"}') ?? 0;
    const before = await failures();
    const beat = ts.running.jobs.get('cluster_heartbeat')!;
    await sql`alter table replicas rename to replicas_away`.execute(ts.running.storage.db);
    try {
      await beat.tick(); // may join a beat that began before the rename
      await beat.tick(); // a beat that began after it
    } finally {
      await sql`alter table replicas_away rename to replicas`.execute(ts.running.storage.db);
    }
    expect(await failures()).toBeGreaterThan(before);
    expect(ts.logs.map((l) => JSON.parse(l)).some((l) => l.job === 'cluster_heartbeat' && l.level === 50)).toBe(true);
    await beat.tick();
    expect(await failures()).toBeGreaterThan(before); // a counter: the recovery does not lower it
    expect(ts.logs.map((l) => JSON.parse(l)).some((l) => l.job === 'cluster_heartbeat' && l.level === 30 && /ran again/.test(l.msg))).toBe(true);
  });
});

describe('closing a server', () => {
  it('waits for a job run under way before the database closes', async () => {
    const other = await startTestServer();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let finished = false;
    const job = other.running.jobs.every('test_held', 3_600_000, async () => {
      await held;
      // Still able to write: the database closes only after this run ends.
      await other.running.services.retention.prune();
      finished = true;
    });
    void job.tick();
    let closed = false;
    const closing = other.close().then(() => (closed = true));
    // close() has stopped the job (it is no longer listed) and now waits for its run.
    while (other.running.jobs.names.includes('test_held')) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(finished).toBe(true);
    expect(other.logs.map((l) => JSON.parse(l)).filter((l) => l.job === 'test_held')).toEqual([]);
  });
});
