import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { onPostgres } from './helpers/test-db.js';

// `--env` on the CLI's kill, restore and sdk-key (issue 23); a mistake is one line.

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
  const r = await ts.api('POST', '/api/environments', { as: 'admin', body: { key: 'staging', name: 'Staging' } });
  if (r.status !== 201) throw new Error(`environment: ${r.status} ${r.text}`);
});
afterAll(() => ts.close());

const states = async (key: string) => (await ts.api('GET', `/api/flags/${key}`, { as: 'viewer' })).body.environments;

describe('the CLI with --env', () => {
  it('kill --env staging kills in staging only, and restore --env staging brings it back', async () => {
    await createFlag(ts, 'cli-env-flag');
    const token = await ts.token('oncall', 'night-shift');
    const k = await cli(['kill', 'cli-env-flag', '--reason', 'staging only', '--env', 'staging', '--url', ts.url], { SWITCHYARD_TOKEN: token });
    expect(k.code).toBe(0);
    expect(k.stdout).toBe('cli-env-flag in staging: killed (serving its off value) by night-shift\n');
    expect(await states('cli-env-flag')).toMatchObject({ production: { killed: false }, staging: { killed: true } });
    const r = await cli(['restore', 'cli-env-flag', '--reason', 'fixed', '--env', 'staging', '--url', ts.url], { SWITCHYARD_TOKEN: token });
    expect(r.code).toBe(0);
    expect(await states('cli-env-flag')).toMatchObject({ production: { killed: false }, staging: { killed: false } });
  });

  it('a malformed or unknown --env is one line, no stack, and nothing changes', async () => {
    await createFlag(ts, 'cli-env-bad');
    const token = await ts.token('oncall', 'night-shift');
    const bad = await cli(['kill', 'cli-env-bad', '--reason', 'x', '--env', 'Staging!', '--url', ts.url], { SWITCHYARD_TOKEN: token });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--env "Staging!" is not an environment key');
    const unknown = await cli(['kill', 'cli-env-bad', '--reason', 'x', '--env', 'qa', '--url', ts.url], { SWITCHYARD_TOKEN: token });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('switchyard kill cli-env-bad: 404 not_found: environment "qa" does not exist\n');
    expect(await states('cli-env-bad')).toMatchObject({ production: { killed: false }, staging: { killed: false } });
  });

  it('sdk-key --env staging makes a key of staging; an unknown environment is one line and makes none', async () => {
    const env = { DATA_DIR: ts.dataDir, ...(onPostgres ? { DATABASE_URL: ts.databaseUrl! } : {}) };
    const r = await cli(['sdk-key', '--name', 'staging-service', '--env', 'staging'], env);
    expect(r.code).toBe(0);
    const rows = await ts.running.storage.db.selectFrom('sdk_keys').select(['name', 'environment']).where('name', 'in', ['staging-service', 'qa-service']).execute();
    expect(rows).toEqual([{ name: 'staging-service', environment: 'staging' }]);
    const unknown = await cli(['sdk-key', '--name', 'qa-service', '--env', 'qa'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('--env "qa": no such environment');
    expect(await ts.running.storage.db.selectFrom('sdk_keys').select('name').where('name', '=', 'qa-service').execute()).toEqual([]);
  });
});
