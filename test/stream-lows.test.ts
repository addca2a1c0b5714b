import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { issueSdkKey, rawPeer, sdkPeer, wsUrl } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

// Issue 20, low findings of the push layer, and `switchyard revoke-sdk-key` (finding 1).

describe('revocations made elsewhere close streams at once', () => {
  let ts: TestServer;
  // A heartbeat of ten minutes: a close that waited for the next one would time the test out.
  beforeAll(async () => {
    ts = await startTestServer({ config: { heartbeatMs: 600_000 } });
  });
  afterAll(() => ts.close());

  it('a token revoked with switchyard revoke-token closes its open admin stream at once (4401), not at the next heartbeat', async () => {
    const token = await ts.token('viewer', 'leaky');
    const stream = rawPeer(wsUrl(ts.url, '/api/stream'), { protocols: ['switchyard.admin.v1', `bearer.${token}`] });
    await stream.next((m) => m.type === 'hello');
    const r = await cli(['revoke-token', '--sub', 'leaky', '--reason', 'pasted in a ticket'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect(r.code, r.stderr).toBe(0);
    expect(await stream.closed).toEqual({ code: 4401, reason: 'token_revoked' });
  });

  it('switchyard revoke-sdk-key --key revokes a leaked key (audited as the CLI user): its websockets close with 4401, its OFREP event streams end, its requests get 401', async () => {
    await createFlag(ts, 'support-draft');
    const { key, id } = await issueSdkKey(ts, 'leaked-app');
    const peer = sdkPeer(ts, key);
    await peer.next((m) => m.type === 'snapshot');
    const bulk = await ts.api('POST', '/ofrep/v1/evaluate/flags', { body: { context: { targetingKey: 'u' } }, headers: { 'x-api-key': key } });
    const events = (await fetch(bulk.body.eventStreams[0].url)).body!.getReader();
    await events.read();

    const r = await cli(['revoke-sdk-key', '--key', key, '--reason', 'found in a public bundle'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`revoked SDK key ${id} (leaked-app`);
    expect(await peer.closed).toEqual({ code: 4401, reason: 'key_revoked' });
    for (let done = false; !done; ) done = await events.read().then((x) => x.done, () => true);
    expect((await ts.api('GET', '/sdk/flags', { token: key })).status).toBe(401);
    const entry = (await ts.api('GET', '/api/audit?action=sdk_key.revoke', { as: 'admin' })).body.entries[0];
    expect(entry).toMatchObject({ reason: 'found in a public bundle', actor: expect.stringMatching(/^cli:/) });
  });

  it('switchyard revoke-sdk-key refuses a mistake in one line: both or neither of --id and --key, an unknown key, no reason', async () => {
    const both = await cli(['revoke-sdk-key', '--id', 'x', '--key', 'y', '--reason', 'r'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect(both.code).toBe(2);
    expect(both.stderr.trimEnd()).toBe('switchyard revoke-sdk-key: give exactly one of --id (GET /api/sdk-keys) or --key (the key itself, sy_sdk_...); see `switchyard revoke-sdk-key --help`');
    const unknown = await cli(['revoke-sdk-key', '--key', 'sy_sdk_nope', '--reason', 'r'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toContain('no live SDK key matches');
    const noId = await cli(['revoke-sdk-key', '--id', '00000000-0000-0000-0000-000000000000', '--reason', 'r'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect(noId.code).toBe(2);
    expect(noId.stderr.split('\n')[0]).toContain('does not exist');
    const noReason = await cli(['revoke-sdk-key', '--id', 'x'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).not.toContain('    at ');
  });
});

describe('caching and URLs after a kill', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ config: { publicUrl: 'https://flags.acme.com/' } });
    await createFlag(ts, 'support-draft');
  });
  afterAll(() => ts.close());

  it('If-None-Match: * never gets a 304 from /sdk/flags or the OFREP bulk route, so a kill cannot hide behind it', async () => {
    const { key } = await issueSdkKey(ts, 'server-app');
    const client = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'web', kind: 'client' } })).body.key;
    await ts.api('POST', '/api/flags/support-draft/kill', { as: 'oncall', body: { reason: 'bad drafts' } });
    const snap = await ts.api('GET', '/sdk/flags', { token: key, headers: { 'if-none-match': '*' } });
    expect(snap.status).toBe(200);
    expect(snap.body.flags.find((f: any) => f.key === 'support-draft')).toMatchObject({ killed: true });
    const bulk = await ts.api('POST', '/ofrep/v1/evaluate/flags', { body: { context: { targetingKey: 'u' } }, headers: { 'x-api-key': client, 'if-none-match': '*' } });
    expect(bulk.status).toBe(200);
    expect(bulk.body.flags.find((f: any) => f.key === 'support-draft')).toMatchObject({ reason: 'DISABLED' });
    // The exact tag still gets its 304.
    const again = await ts.api('GET', '/sdk/flags', { token: key, headers: { 'if-none-match': snap.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('the OFREP event-stream URL is built on PUBLIC_URL, never on the Host header', async () => {
    const client = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'web2', kind: 'client' } })).body.key;
    const body = JSON.stringify({ context: { targetingKey: 'u' } });
    const answer = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request(`${ts.url}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: { host: 'evil.example', 'x-api-key': client, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status).toBe(200);
    expect(answer.body.eventStreams[0].url).toMatch(/^https:\/\/flags\.acme\.com\/ofrep\/v1\/events\?token=[\w-]+\.[\w-]+$/);
  });
});
