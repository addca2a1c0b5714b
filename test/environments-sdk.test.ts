import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../server/auth/tokens.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { rawPeer, sdkPeer, wsUrl, type RawPeer } from './helpers/push-client.js';
import { cli } from './helpers/cli.js';

// Key-bound SDKs (issue 23): an SDK key belongs to one environment, and its stream, /sdk/flags,
// OFREP answers, propagation figures and usage are that environment's only. Real server on the
// test's database (the sqlite and postgres vitest projects), real websocket clients.

let ts: TestServer;
let prodKey: string;
let stagingKey: string;

const issue = (body: Record<string, unknown>) => ts.api('POST', '/api/sdk-keys', { as: 'admin', body });
const snapshotOf = async (key: string, path = '/sdk/flags', headers: Record<string, string> = {}) =>
  (await ts.api('GET', path, { headers: { authorization: `Bearer ${key}`, ...headers } })).body;
const killedIn = (snapshot: { flags: Array<{ key: string; killed: boolean }> }, flag: string) => snapshot.flags.find((f) => f.key === flag)!.killed;
const ofrep = (key: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  ts.api('POST', path, { body, headers: { authorization: `Bearer ${key}`, ...headers } });

/** An SDK peer that has its first message, acknowledging everything it is sent. */
async function livePeer(key: string): Promise<RawPeer & { first: any }> {
  const p = sdkPeer(ts, key);
  const first = await p.next((m) => m.type === 'snapshot');
  p.send({ type: 'ack', version: first.version });
  p.ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.type === 'changes') p.send({ type: 'ack', version: m.version });
  });
  return Object.assign(p, { first });
}

/** Reads until `pred` holds (SDKs and OFREP report usage asynchronously); the last answer after 10 s. */
async function readUntil(path: string, pred: (b: any) => boolean): Promise<any> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await ts.api('GET', path, { as: 'viewer' });
    if (pred(r.body) || Date.now() > deadline) return r.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Reads server-sent events off a real HTTP response, one `data:` payload at a time. */
function sse(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<any> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data:'));
          if (data) return JSON.parse(data.slice(5));
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return 'ended';
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

beforeAll(async () => {
  ts = await startTestServer();
  expect((await ts.api('POST', '/api/environments', { as: 'admin', body: { key: 'staging', name: 'Staging', order: 1 } })).status).toBe(201);
  await createFlag(ts, 'reply-model', { on: 'v2', off: 'v1' });
  await createFlag(ts, 'other-flag');
});
afterAll(() => ts.close());

describe('SDK keys per environment', () => {
  it('an SDK key belongs to the environment it is issued for (default production), and the list shows it', async () => {
    const prod = await issue({ name: 'prod-app' });
    expect(prod.status).toBe(201);
    expect(prod.body).toMatchObject({ name: 'prod-app', kind: 'server', environment: 'production' });
    const staging = await issue({ name: 'staging-app', environment: 'staging' });
    expect(staging.status).toBe(201);
    expect(staging.body).toMatchObject({ name: 'staging-app', environment: 'staging' });
    prodKey = prod.body.key;
    stagingKey = staging.body.key;
    const { keys } = (await ts.api('GET', '/api/sdk-keys', { as: 'admin' })).body;
    expect(keys.map((k: any) => [k.name, k.environment])).toEqual([['prod-app', 'production'], ['staging-app', 'staging']]);
    const created = (await ts.api('GET', '/api/audit?action=sdk_key.create', { as: 'admin' })).body.entries;
    expect(created.map((e: any) => e.environment).sort()).toEqual(['production', 'staging']);
  });

  it('an SDK key for an unknown or archived environment is refused with the reason, and nothing is issued', async () => {
    const unknown = await issue({ name: 'nowhere', environment: 'qa' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('environment "qa" does not exist');
    expect((await ts.api('POST', '/api/environments', { as: 'admin', body: { key: 'old', name: 'Old' } })).status).toBe(201);
    expect((await ts.api('PATCH', '/api/environments/old', { as: 'admin', body: { version: 1, archived: true } })).status).toBe(200);
    const archived = await issue({ name: 'old-app', environment: 'old' });
    expect(archived.status).toBe(404);
    expect(archived.body.error.message).toContain('archived');
    const bad = await issue({ name: 'bad', environment: 42 });
    expect(bad.status).toBe(400);
    const { keys } = (await ts.api('GET', '/api/sdk-keys', { as: 'admin' })).body;
    expect(keys.map((k: any) => k.name)).toEqual(['prod-app', 'staging-app']);
  });
});

describe('a kill in staging changes nothing in production', () => {
  it('streams: staging SDKs get the kill, production SDKs are sent nothing of it; /sdk/flags and OFREP answer each key its own environment', async () => {
    const prodPeer = await livePeer(prodKey);
    const stagingPeer = await livePeer(stagingKey);
    try {
      expect(killedIn(prodPeer.first, 'reply-model')).toBe(false);
      expect(killedIn(stagingPeer.first, 'reply-model')).toBe(false);
      const propBefore = (await ts.api('GET', '/api/flags/reply-model/propagation', { as: 'viewer' })).body;

      const kill = await ts.api('POST', '/api/envs/staging/flags/reply-model/kill', { as: 'oncall', body: { reason: 'bad drafts in staging', waitMs: 5000 } });
      expect(kill.status).toBe(200);
      // The kill waits for staging's SDK only: one connected, one applied.
      expect(kill.body.propagation).toMatchObject({ key: 'reply-model', stateVersion: kill.body.stateVersion, connected: 1, applied: 1, pending: 0 });
      const staged = await stagingPeer.next((m) => m.type === 'changes');
      expect(staged.flags).toEqual([expect.objectContaining({ key: 'reply-model', killed: true })]);

      // A production change afterwards is the first change production's SDK is sent: the staging kill never was.
      expect((await ts.api('POST', '/api/flags/other-flag/kill', { as: 'oncall', body: { reason: 'production only' } })).status).toBe(200);
      const prodChange = await prodPeer.next((m) => m.type === 'changes');
      expect(prodChange.flags.map((f: any) => f.key)).toEqual(['other-flag']);
      expect(prodPeer.messages.filter((m) => m.type === 'changes').flatMap((m) => m.flags.map((f: any) => f.key))).not.toContain('reply-model');

      expect(killedIn(await snapshotOf(prodKey), 'reply-model')).toBe(false);
      expect(killedIn(await snapshotOf(stagingKey), 'reply-model')).toBe(true);

      const prodEval = await ofrep(prodKey, '/ofrep/v1/evaluate/flags/reply-model', { context: { targetingKey: 'u1' } });
      expect(prodEval.body.metadata.switchyardReason).not.toBe('KILLED');
      const stagingEval = await ofrep(stagingKey, '/ofrep/v1/evaluate/flags/reply-model', { context: { targetingKey: 'u1' } });
      expect(stagingEval.body).toMatchObject({ key: 'reply-model', value: 'v1', reason: 'DISABLED', metadata: { switchyardReason: 'KILLED' } });
      const prodBulk = await ofrep(prodKey, '/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u1' } });
      expect(prodBulk.body.flags.find((f: any) => f.key === 'reply-model').metadata.switchyardReason).not.toBe('KILLED');
      const stagingBulk = await ofrep(stagingKey, '/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u1' } });
      expect(stagingBulk.body.flags.find((f: any) => f.key === 'reply-model').metadata.switchyardReason).toBe('KILLED');

      // Propagation per environment: production's figures for reply-model did not move; staging's count staging's SDK.
      const propAfter = (await ts.api('GET', '/api/flags/reply-model/propagation', { as: 'viewer' })).body;
      expect(propAfter.stateVersion).toBe(propBefore.stateVersion);
      expect(propAfter).toMatchObject({ connected: 1, applied: 1 });
      const stagingProp = (await ts.api('GET', '/api/envs/staging/flags/reply-model/propagation', { as: 'viewer' })).body;
      expect(stagingProp).toMatchObject({ key: 'reply-model', stateVersion: kill.body.stateVersion, connected: 1, applied: 1, pending: 0 });
      expect(stagingProp.ofrep).toMatchObject({ fetchedSince: 2 });
    } finally {
      prodPeer.ws.close();
      stagingPeer.ws.close();
    }
  });

  it('usage: evaluations reported by a staging SDK and by OFREP with a staging key count for staging only', async () => {
    const stagingPeer = await livePeer(stagingKey);
    try {
      stagingPeer.send({ type: 'telemetry', counts: [{ key: 'reply-model', stage: 0, on: 0, off: 7, fallback: 0 }] });
      const staged = await readUntil('/api/envs/staging/flags/reply-model/usage', (u) => u.evaluations >= 9);
      // 7 from the stream, 2 from the OFREP calls with the staging key above.
      expect(staged.evaluations).toBe(9);
      // Production counts its own key's two OFREP evaluations above, none of staging's.
      const prod = await readUntil('/api/flags/reply-model/usage', (u) => u.evaluations >= 2);
      expect(prod.evaluations).toBe(2);
    } finally {
      stagingPeer.ws.close();
    }
  });

  it("OFREP event streams: a staging kill is told to staging's streams only", async () => {
    await createFlag(ts, 'evented');
    const urlOf = async (key: string) => (await ofrep(key, '/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u1' } })).body.eventStreams[0].url;
    const prodEvents = sse(await fetch(await urlOf(prodKey)));
    const stagingEvents = sse(await fetch(await urlOf(stagingKey)));
    try {
      expect((await prodEvents.next()).type).toBe('refetchEvaluation');
      expect((await stagingEvents.next()).type).toBe('refetchEvaluation');
      const staged = await ts.api('POST', '/api/envs/staging/flags/evented/kill', { as: 'oncall', body: { reason: 'staging only' } });
      expect(await stagingEvents.next()).toMatchObject({ type: 'refetchEvaluation', etag: `"${staged.body.stateVersion}"` });
      const prod = await ts.api('POST', '/api/flags/evented/kill', { as: 'oncall', body: { reason: 'production now' } });
      // The first event production's stream gets after connecting is production's kill: staging's never reached it.
      expect(await prodEvents.next()).toMatchObject({ type: 'refetchEvaluation', etag: `"${prod.body.stateVersion}"` });
    } finally {
      await prodEvents.cancel();
      await stagingEvents.cancel();
    }
  });
});

describe('a production SDK key cannot read staging', () => {
  const tries: Array<{ query?: string; headers?: Record<string, string> }> = [
    { query: '?env=staging' },
    { query: '?environment=staging' },
    { headers: { 'x-switchyard-environment': 'staging' } },
    { headers: { 'x-environment': 'staging' } },
  ];

  it('no parameter or header makes /sdk/flags, OFREP or the stream answer staging to a production key', async () => {
    for (const t of tries) {
      const snap = await snapshotOf(prodKey, `/sdk/flags${t.query ?? ''}`, t.headers);
      expect(killedIn(snap, 'reply-model'), JSON.stringify(t)).toBe(false);
      const single = await ofrep(prodKey, `/ofrep/v1/evaluate/flags/reply-model${t.query ?? ''}`, { context: { targetingKey: 'u1' } }, t.headers);
      expect(single.body.metadata.switchyardReason, JSON.stringify(t)).not.toBe('KILLED');
      const bulk = await ofrep(prodKey, `/ofrep/v1/evaluate/flags${t.query ?? ''}`, { context: { targetingKey: 'u1' } }, t.headers);
      expect(bulk.body.flags.find((f: any) => f.key === 'reply-model').metadata.switchyardReason, JSON.stringify(t)).not.toBe('KILLED');
      const peer = rawPeer(wsUrl(ts.url, `/sdk/stream${t.query ?? ''}`), { headers: { authorization: `Bearer ${prodKey}`, ...t.headers } });
      peer.ws.on('open', () => peer.send({ type: 'hello', protocol: 1, version: 0 }));
      const first = await peer.next((m) => m.type === 'snapshot');
      expect(killedIn(first, 'reply-model'), JSON.stringify(t)).toBe(false);
      peer.ws.close();
    }
    // A body field naming an environment on OFREP (the body is a loose object) chooses nothing either.
    for (const body of [{ context: { targetingKey: 'u1' }, environment: 'staging' }, { context: { targetingKey: 'u1', environment: 'staging', env: 'staging' } }]) {
      const single = await ofrep(prodKey, '/ofrep/v1/evaluate/flags/reply-model', body);
      expect(single.body.metadata.switchyardReason).not.toBe('KILLED');
      const bulk = await ofrep(prodKey, '/ofrep/v1/evaluate/flags', body);
      expect(bulk.body.flags.find((f: any) => f.key === 'reply-model').metadata.switchyardReason).not.toBe('KILLED');
    }
  });
});

describe('metric samples per environment', () => {
  const plan = { stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01 }] }, { percent: 100 }], reason: 'watch errors' };

  it('samples for staging do not move production gates; the same samples for production do', async () => {
    await createFlag(ts, 'gated');
    expect((await ts.api('PUT', '/api/flags/gated/plan', { as: 'pm', body: plan })).status).toBe(200);
    expect((await ts.api('PUT', '/api/envs/staging/flags/gated/plan', { as: 'pm', body: plan })).status).toBe(200);
    const gates = async (prefix: string) => {
      const { planVersion: _v, ...g } = (await ts.api('GET', `${prefix}/flags/gated/gates`, { as: 'viewer' })).body;
      return g;
    };
    const prodBefore = await gates('/api');
    const stagingBefore = await gates('/api/envs/staging');
    const samples = Array.from({ length: 5 }, () => ({ flag: 'gated', metric: 'error_rate', value: 0.5, environment: 'staging' }));
    const sent = await ts.api('POST', '/api/metrics', { as: 'metrics', body: { samples } });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ stored: 5 });
    expect(await gates('/api')).toEqual(prodBefore);
    expect(await gates('/api/envs/staging')).not.toEqual(stagingBefore);
    // The metric series too: staging's page shows the five samples, production's none.
    const series = async (prefix: string) => (await ts.api('GET', `${prefix}/flags/gated/metrics`, { as: 'viewer' })).body;
    expect(JSON.stringify(await series('/api/envs/staging'))).toContain('error_rate');
    expect(JSON.stringify(await series('/api'))).not.toContain('error_rate');
    const prodSamples = samples.map(({ environment: _e, ...s }) => s);
    expect((await ts.api('POST', '/api/metrics', { as: 'metrics', body: { samples: prodSamples } })).status).toBe(201);
    expect(await gates('/api')).not.toEqual(prodBefore);
  });

  it('a sample naming an unknown environment is a 400 naming it, and nothing of the batch is stored', async () => {
    const res = await ts.api('POST', '/api/metrics', { as: 'metrics', body: { samples: [{ flag: 'gated', metric: 'latency', value: 1, environment: 'staging' }, { flag: 'gated', metric: 'latency', value: 1, environment: 'qa' }] } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('unknown_environment');
    expect(res.body.error.message).toContain('environment "qa" does not exist');
    const bad = await ts.api('POST', '/api/metrics', { as: 'metrics', body: { flag: 'gated', metric: 'latency', value: 1, environment: 'Not An Env' } });
    expect(bad.status).toBe(400);
    const series = (await ts.api('GET', '/api/flags/gated/metrics?metric=latency', { as: 'viewer' })).body;
    expect(series.metrics.flatMap((m: any) => m.samples)).toEqual([]);
  });

  it('a metrics token limited to staging is refused for production (403 with the reason) and accepted for staging', async () => {
    const token = await issueToken(ts.running.secret, 'staging-pipeline', 'metrics', 3600, { envs: ['staging'] });
    const prod = await ts.api('POST', '/api/metrics', { token, body: { flag: 'gated', metric: 'error_rate', value: 0.001, environment: 'production' } });
    expect(prod.status).toBe(403);
    expect(prod.body.error.code).toBe('environment_out_of_scope');
    expect(prod.body.error.message).toContain('"staging" only, not for "production"');
    const unnamed = await ts.api('POST', '/api/metrics', { token, body: { flag: 'gated', metric: 'error_rate', value: 0.001 } });
    expect(unnamed.status).toBe(403);
    const staging = await ts.api('POST', '/api/metrics', { token, body: { flag: 'gated', metric: 'error_rate', value: 0.001, environment: 'staging' } });
    expect(staging.status).toBe(201);
  });

  it('switchyard token --role metrics --env staging mints that claim; --env on another role or a bad key is one line, exit 2', async () => {
    const r = await cli(['token', '--sub', 'staging-evals', '--role', 'metrics', '--env', 'staging'], { DATA_DIR: ts.dataDir });
    expect(r.code).toBe(0);
    const token = r.stdout.trim();
    expect((await ts.api('POST', '/api/metrics', { token, body: { flag: 'gated', metric: 'error_rate', value: 0.001, environment: 'staging' } })).status).toBe(201);
    const prod = await ts.api('POST', '/api/metrics', { token, body: { flag: 'gated', metric: 'error_rate', value: 0.001 } });
    expect(prod.status).toBe(403);
    expect(prod.body.error.code).toBe('environment_out_of_scope');
    const wrongRole = await cli(['token', '--sub', 'pat', '--role', 'pm', '--env', 'staging'], { DATA_DIR: ts.dataDir });
    expect(wrongRole.code).toBe(2);
    expect(wrongRole.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrongRole.stderr).toContain('--env limits a metrics token to some environments');
    const badKey = await cli(['token', '--sub', 'x', '--role', 'metrics', '--env', 'Staging!'], { DATA_DIR: ts.dataDir });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('"Staging!" is not an environment key');
    expect(badKey.stdout).toBe('');
  });
});

describe('a kill across environments waits on each environment\'s own SDKs', () => {
  it('POST /api/kill with two environments and waitMs answers each environment\'s delivery beside its killed flags', async () => {
    await createFlag(ts, 'cross-env-kill', { tags: ['cross-env'] });
    const prodPeer = await livePeer(prodKey);
    const stagingPeer = await livePeer(stagingKey);
    try {
      const r = await ts.api('POST', '/api/kill', { as: 'oncall', body: { tag: 'cross-env', reason: 'provider outage everywhere', environments: ['production', 'staging'], waitMs: 5000 } });
      expect(r.status).toBe(200);
      for (const env of ['production', 'staging']) {
        expect(r.body.environments[env].killed).toEqual(['cross-env-kill']);
        expect(r.body.environments[env].propagation['cross-env-kill']).toMatchObject({ connected: 1, applied: 1, pending: 0 });
      }
      // `propagation` at the top is the default environment's, as it was before environments.
      expect(r.body.propagation['cross-env-kill']).toEqual(r.body.environments.production.propagation['cross-env-kill']);
    } finally {
      prodPeer.ws.close();
      stagingPeer.ws.close();
    }
  });
});

describe('the admin stream names the environment of a change', () => {
  it('a kill in an environment made after start reaches the admin UI as a flag message naming that environment; the default environment is left as it was', async () => {
    expect((await ts.api('POST', '/api/environments', { as: 'admin', body: { key: 'qa-late', name: 'QA', order: 9 } })).status).toBe(201);
    await createFlag(ts, 'admin-stream-env');
    const viewer = await ts.token('viewer');
    const admin = rawPeer(wsUrl(ts.url, '/api/stream'), { protocols: ['switchyard.admin.v1', `bearer.${viewer}`] });
    try {
      await admin.next((m) => m.type === 'hello');
      expect((await ts.api('POST', '/api/envs/qa-late/flags/admin-stream-env/kill', { as: 'oncall', body: { reason: 'qa model broken' } })).status).toBe(200);
      const m = await admin.next((x) => x.type === 'flag' && x.flag?.key === 'admin-stream-env');
      expect(m).toMatchObject({ environment: 'qa-late', flag: { key: 'admin-stream-env', killed: true, killReason: 'qa model broken' } });
      expect((await ts.api('GET', '/api/flags/admin-stream-env', { as: 'viewer' })).body.killed).toBe(false);
    } finally {
      admin.ws.close();
    }
  });
});
