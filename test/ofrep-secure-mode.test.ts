import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { putPlan, signAndAdvance } from './rollout-fixtures.js';

/** What the app's backend computes for its signed-in user: HMAC-SHA256 of the targetingKey, hex. */
const sign = (secret: string, targetingKey: string) => crypto.createHmac('sha256', secret).update(targetingKey).digest('hex');

describe('secure mode: a client key evaluates only contexts its backend signed', () => {
  let ts: TestServer;
  let key: string;
  let secret: string;
  let open: string;

  beforeAll(async () => {
    ts = await startTestServer();
    await createFlag(ts, 'exec-preview', { on: true, off: false });
    const plan = await putPlan(ts, 'exec-preview', { cohort: [{ attr: 'email', op: 'in', values: ['ceo@acme.example'] }], stages: [{ percent: 100 }], reason: 'execs first' });
    expect(plan.status, plan.text).toBe(200);
    await signAndAdvance(ts, 'exec-preview');
    const created = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'web-secure', kind: 'client', secureMode: true } });
    expect(created.status, created.text).toBe(201);
    key = created.body.key;
    secret = created.body.secureModeSecret;
    open = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'web-open', kind: 'client' } })).body.key;
  });
  afterAll(() => ts.close());

  it('POST /api/sdk-keys with secureMode answers the secret once: the list says secureMode and never shows it; the audit entry does not hold it', async () => {
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const listed = await ts.api('GET', '/api/sdk-keys', { as: 'admin' });
    const row = listed.body.keys.find((k: any) => k.name === 'web-secure');
    expect(row.secureMode).toBe(true);
    expect(listed.body.keys.find((k: any) => k.name === 'web-open').secureMode).toBe(false);
    expect(listed.text).not.toContain(secret);
    const audit = await ts.api('GET', '/api/audit?action=sdk_key.create', { as: 'admin' });
    expect(audit.text).not.toContain(secret);
    expect(audit.body.entries.find((e: any) => e.after.name === 'web-secure').after.secureMode).toBe(true);
  });

  it('secure mode is refused on a server key (400: it reads full states anyway) and must be a boolean', async () => {
    const server = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'api', kind: 'server', secureMode: true } });
    expect(server.status).toBe(400);
    const bad = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'x', kind: 'client', secureMode: 'yes' } });
    expect(bad.status).toBe(400);
  });

  it('an unsigned context is refused with 401 on the single and bulk routes, saying what to send', async () => {
    for (const path of ['/ofrep/v1/evaluate/flags/exec-preview', '/ofrep/v1/evaluate/flags']) {
      const res = await ts.api('POST', path, { token: key, body: { context: { targetingKey: 'ceo', email: 'ceo@acme.example' } } });
      expect(res.status, path).toBe(401);
      expect(res.body.errorDetails).toContain('secureHash');
      expect(res.text).not.toContain('"value"');
    }
  });

  it('a signature for another user (the attacker tries a victim\'s key) or a forged one is refused with 403', async () => {
    const mine = sign(secret, 'attacker');
    for (const secureHash of [mine, 'f'.repeat(64), 'not-hex']) {
      const res = await ts.api('POST', '/ofrep/v1/evaluate/flags', { token: key, body: { context: { targetingKey: 'ceo', email: 'ceo@acme.example', secureHash } } });
      expect(res.status).toBe(403);
      expect(res.body.errorDetails).toContain('does not match');
      expect(res.text).not.toContain('"value"');
    }
  });

  it('a context signed by the backend is answered as before, and the signature is not an attribute that targeting sees', async () => {
    const res = await ts.api('POST', '/ofrep/v1/evaluate/flags/exec-preview', { token: key, body: { context: { targetingKey: 'ceo', email: 'ceo@acme.example', secureHash: sign(secret, 'ceo') } } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.value).toBe(true);
    const bulk = await ts.api('POST', '/ofrep/v1/evaluate/flags', { token: key, body: { context: { targetingKey: 'ceo', email: 'ceo@acme.example', secureHash: sign(secret, 'ceo') } } });
    expect(bulk.status).toBe(200);
    expect(bulk.body.flags.find((f: any) => f.key === 'exec-preview').value).toBe(true);
  });

  it('a key without secure mode still answers any context (what it can learn is in the README)', async () => {
    const res = await ts.api('POST', '/ofrep/v1/evaluate/flags/exec-preview', { token: open, body: { context: { targetingKey: 'x', email: 'ceo@acme.example' } } });
    expect(res.status).toBe(200);
    expect(res.body.value).toBe(true);
  });

  it('no answer to a client key ever echoes the cohort allowlist: successes, misses, errors and refusals', async () => {
    const bodies = [
      { context: { targetingKey: 'x', email: 'ceo@acme.example' } },
      { context: { targetingKey: 'x', email: 'intern@acme.example' } },
      { context: { email: ['not', 'a', 'string'] } },
      { context: 'nope' },
      {},
    ];
    for (const token of [open, key]) {
      for (const body of bodies) {
        for (const path of ['/ofrep/v1/evaluate/flags', '/ofrep/v1/evaluate/flags/exec-preview', '/ofrep/v1/evaluate/flags/missing']) {
          const res = await ts.api('POST', path, { token, body });
          expect(res.text + [...res.headers].join(' '), `${path} ${JSON.stringify(body)}`).not.toContain('acme.example');
        }
      }
    }
  });
});
