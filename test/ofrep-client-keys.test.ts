import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SDK_SUBPROTOCOL } from '@switchyard-flags/sdk/protocol';
import { cli } from './helpers/cli.js';
import { upgradeStatus, wsUrl } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { putPlan } from './rollout-fixtures.js';

describe('client SDK keys see only their own answers', () => {
  let ts: TestServer;
  let clientKey: string;
  let serverKey: string;

  beforeAll(async () => {
    ts = await startTestServer();
    await createFlag(ts, 'beta-inbox', { on: true, off: false });
    const plan = await putPlan(ts, 'beta-inbox', { cohort: [{ attr: 'email', op: 'in', values: ['ceo@acme.example', 'cfo@acme.example'] }], stages: [{ percent: 100 }], reason: 'execs first' });
    expect(plan.status, plan.text).toBe(200);
    serverKey = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'inbox-api' } })).body.key;
  });
  afterAll(() => ts.close());

  it('switchyard sdk-key --name web --kind client creates a client key, listed and audited with its kind', async () => {
    const r = await cli(['sdk-key', '--name', 'web', '--kind', 'client'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sy_sdk_[\w-]{43}\n$/);
    clientKey = r.stdout.trim();
    const keys = await ts.api('GET', '/api/sdk-keys', { as: 'admin' });
    expect(keys.body.keys.find((k: any) => k.name === 'web')).toMatchObject({ kind: 'client' });
    expect(keys.body.keys.find((k: any) => k.name === 'inbox-api')).toMatchObject({ kind: 'server' });
    const entries = await ts.api('GET', '/api/audit?action=sdk_key.create', { as: 'admin' });
    expect(entries.body.entries.find((e: any) => e.after.name === 'web').after.kind).toBe('client');
  });

  it('refuses an unknown kind, on the command line and over the API, creating nothing', async () => {
    const r = await cli(['sdk-key', '--name', 'x', '--kind', 'browser'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--kind is "server"');
    const res = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'y', kind: 'root' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('kind');
    const names = (await ts.api('GET', '/api/sdk-keys', { as: 'admin' })).body.keys.map((k: any) => k.name);
    expect(names).not.toContain('x');
    expect(names).not.toContain('y');
  });

  it('refuses a client key on GET /sdk/flags with 403 naming the OFREP route, and on the full-state stream', async () => {
    const res = await ts.api('GET', '/sdk/flags', { token: clientKey });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('/ofrep/v1/evaluate/flags');
    expect(res.text).not.toContain('acme.example');
    expect(await upgradeStatus(wsUrl(ts.url), { headers: { authorization: `Bearer ${clientKey}` }, protocols: [SDK_SUBPROTOCOL] })).toBe(403);
    expect(await upgradeStatus(wsUrl(ts.url), { protocols: [SDK_SUBPROTOCOL, `sdk-key.${clientKey}`] })).toBe(403);
    expect(await upgradeStatus(wsUrl(ts.url), { headers: { authorization: `Bearer ${serverKey}` }, protocols: [SDK_SUBPROTOCOL] })).toBe(101);
  });

  it('gives a client key the answer for its own context and never the rules, allowlist or salt behind it', async () => {
    const full = await ts.api('GET', '/sdk/flags', { token: serverKey });
    const salt = full.body.flags.find((f: any) => f.key === 'beta-inbox').salt;
    expect(full.text).toContain('ceo@acme.example'); // a server key does see the state
    const mine = await ts.api('POST', '/ofrep/v1/evaluate/flags', { token: clientKey, body: { context: { targetingKey: 'u-1', email: 'intern@acme.example' } } });
    expect(mine.status).toBe(200);
    expect(mine.body.flags).toEqual([expect.objectContaining({ key: 'beta-inbox', value: false, reason: 'TARGETING_MATCH' })]);
    expect(mine.text).not.toContain('ceo@acme.example');
    expect(mine.text).not.toContain(salt);
    const ceo = await ts.api('POST', '/ofrep/v1/evaluate/flags/beta-inbox', { token: clientKey, body: { context: { targetingKey: 'u-2', email: 'ceo@acme.example' } } });
    expect(ceo.body).toMatchObject({ value: false, reason: 'TARGETING_MATCH', metadata: { switchyardReason: 'NOT_STARTED' } });
    expect(ceo.text).not.toContain('cfo@acme.example');
  });
});
