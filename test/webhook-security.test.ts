import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../server/config.js';
import { ConfigError } from '../server/errors.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAllowlist, type LookupFn } from '../server/rollout/webhook-destination.js';
import { WebhookNotifier } from '../server/rollout/webhook-notifier.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { rawPeer, wsUrl } from './helpers/push-client.js';
import { LOOPBACK_RECEIVERS, webhookServer, type Hook } from './rollout-fixtures.js';

type Verify = (secret: string, headers: Record<string, unknown>, rawBody: string, nowMs?: number) => boolean;

/** The README's verification snippet, run as it is written there. */
function readmeVerifier(): Verify {
  const readme = fs.readFileSync(path.join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const m = /<!-- webhook-verify:start -->\s*```js\n([\s\S]*?)```\s*<!-- webhook-verify:end -->/.exec(readme);
  if (!m) throw new Error('README has no webhook verification snippet');
  return new Function('require', `${m[1]}\nreturn verifySwitchyardWebhook;`)(createRequire(import.meta.url)) as Verify;
}

const sha12 = (s: string) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 12);
const twoStages = [{ percent: 5 }, { percent: 100 }];

async function auditCount(ts: TestServer): Promise<number> {
  return (await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.count;
}

describe('webhook destinations inside the network', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
    await createFlag(ts, 'hooked');
  });
  afterAll(() => ts.close());

  // Nothing is ever sent to these: the URL is refused when the plan is written.
  it.each([
    'http://127.0.0.1:9/hook',
    'http://[::ffff:127.0.0.1]:9/hook',
    'http://[::1]:9/hook',
    'http://localhost:9/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.1.2.3/hook',
    'http://172.16.0.9/hook',
    'http://192.168.0.1/hook',
    'http://100.64.0.1/hook',
    'http://[fd00::1]/hook',
    'http://[fe80::1]/hook',
    'http://0.0.0.0/hook',
    'http://224.0.0.1/hook',
  ])('a plan webhook to %s is refused with a 400 and nothing changes', async (url) => {
    const before = await auditCount(ts);
    const res = await ts.api('PUT', '/api/flags/hooked/plan', { as: 'pm', body: { stages: twoStages, webhookUrl: url } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'webhook_refused', details: [{ path: 'webhookUrl' }] });
    expect(res.body.error.message).toMatch(/WEBHOOK_ALLOW/);
    expect(await auditCount(ts)).toBe(before);
    expect((await ts.api('GET', '/api/flags/hooked', { as: 'viewer' })).body.planVersion).toBe(0);
  });

  it('a server-wide WEBHOOK_URL inside the network stops the start with a clear message, unless allowlisted', () => {
    expect(() => configFromEnv({ WEBHOOK_URL: 'http://169.254.169.254/latest' })).toThrow(ConfigError);
    expect(() => configFromEnv({ WEBHOOK_URL: 'http://localhost:8080/h' })).toThrow(/WEBHOOK_URL points inside the network \(localhost is loopback\)/);
    expect(configFromEnv({ WEBHOOK_URL: 'http://10.0.4.7:8443/h', WEBHOOK_ALLOW: '10.0.4.7:8443' }).webhookUrl).toBe('http://10.0.4.7:8443/h');
    expect(() => configFromEnv({ WEBHOOK_ALLOW: 'http://x' })).toThrow(/WEBHOOK_ALLOW entry/);
  });
});

describe('delivery checks the destination again, after DNS', () => {
  let hook: Hook;
  let ts: TestServer;
  beforeAll(async () => {
    hook = await webhookServer();
    ts = await startTestServer({ config: { webhookAllow: parseAllowlist(`127.0.0.1:${new URL(hook.url).port}`) } });
  });
  afterAll(async () => {
    await ts.close();
    await hook.close();
  });

  it('an allowlisted loopback receiver gets the notice; without the allowlist, or under a name resolving to loopback, it gets nothing', async () => {
    await createFlag(ts, 'watched');
    expect((await ts.api('PUT', '/api/flags/watched/plan', { as: 'pm', body: { stages: twoStages, webhookUrl: hook.url } })).status).toBe(200);
    await ts.api('POST', '/api/flags/watched/kill', { as: 'oncall', body: { reason: 'control: allowlisted' } });
    await ts.running.services.webhooks.settled();
    expect(hook.received.map((n) => n.reason)).toEqual(['control: allowlisted']);

    // The same stored URL after the admin removed it from WEBHOOK_ALLOW.
    await ts.stop();
    const bare = await startTestServer({ dataDir: ts.dataDir, config: { databaseUrl: ts.databaseUrl } });
    try {
      await bare.api('POST', '/api/flags/watched/restore', { as: 'oncall', body: { reason: 'no allowlist now' } });
      // A plan stored before names were checked, pointing at the receiver by a name (`localhost`).
      const { db } = bare.running.storage;
      const row = await db.selectFrom('flags').select('plan').where('key', '=', 'watched').executeTakeFirstOrThrow();
      const plan = JSON.parse(row.plan!);
      await db.updateTable('flags').set({ plan: JSON.stringify({ ...plan, webhookUrl: hook.url.replace('127.0.0.1', 'localhost') }) }).where('key', '=', 'watched').execute();
      await bare.api('POST', '/api/flags/watched/kill', { as: 'oncall', body: { reason: 'by name' } });
      await bare.running.services.webhooks.settled();
      expect(hook.received.map((n) => n.reason)).toEqual(['control: allowlisted']);
      const refused = bare.logs.map((l) => JSON.parse(l)).filter((l) => String(l.msg).startsWith('webhook refused'));
      expect(refused.map((l) => l.error)).toEqual([expect.stringMatching(/127\.0\.0\.1 .*loopback/), expect.stringMatching(/localhost is loopback/)]);
      expect(bare.logs.join('\n')).not.toContain('secret-path');
    } finally {
      await bare.close();
    }
  });
});

describe('delivery connects to the address it checked', () => {
  let hook: Hook;
  let ts: TestServer;
  beforeAll(async () => {
    hook = await webhookServer();
    ts = await startTestServer();
  });
  afterAll(async () => {
    await ts.close();
    await hook.close();
  });

  function notifier(url: string, allow: string, lookup: LookupFn) {
    const n = new WebhookNotifier({ db: ts.running.storage.db, log: ts.running.log, url, secret: 's'.repeat(32), allow: parseAllowlist(allow), lookup });
    return { n, detach: n.attach(ts.running.bus) };
  }

  it('the connection goes to the address the check resolved: DNS is not asked a second time', async () => {
    // `.test` names never resolve in public DNS (RFC 6761): only the checked answer can reach the receiver.
    const asked: string[] = [];
    const url = hook.url.replace('127.0.0.1', 'hooks.test');
    const { n, detach } = notifier(url, 'hooks.test', async (host) => (asked.push(host), [{ address: '127.0.0.1', family: 4 }]));
    try {
      await createFlag(ts, 'pinned');
      await ts.api('POST', '/api/flags/pinned/kill', { as: 'oncall', body: { reason: 'pinned' } });
      await n.settled();
      expect(hook.received.filter((d) => d.flag === 'pinned').map((d) => d._headers.host)).toEqual([new URL(url).host]);
      expect(asked).toEqual(['hooks.test']);
    } finally {
      detach();
    }
  });

  it('a name with one internal address among its answers is not delivered to', async () => {
    // Both answers are internal, so even a broken check could only ever reach loopback.
    const url = hook.url.replace('127.0.0.1', 'rebound.test');
    const { n, detach } = notifier(url, '', async () => [{ address: '127.0.0.1', family: 4 }, { address: '10.0.0.1', family: 4 }]);
    try {
      await createFlag(ts, 'rebound');
      await ts.api('POST', '/api/flags/rebound/kill', { as: 'oncall', body: { reason: 'rebound' } });
      await n.settled();
      expect(hook.received.filter((d) => d.flag === 'rebound')).toEqual([]);
      expect(ts.logs.some((l) => l.includes('webhook refused') && l.includes('rebound.test resolves to 127.0.0.1 (loopback)'))).toBe(true);
    } finally {
      detach();
    }
  });

  it('a redirect is not followed', async () => {
    const redirecting = http.createServer((_req, res) => {
      res.writeHead(302, { location: hook.url });
      res.end();
    });
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/hook/secret-path`;
    const { n, detach } = notifier(url, '127.0.0.1', async () => []);
    try {
      await createFlag(ts, 'redirected');
      await ts.api('POST', '/api/flags/redirected/kill', { as: 'oncall', body: { reason: 'redirect' } });
      await n.settled();
      expect(hook.received.filter((d) => d.flag === 'redirected')).toEqual([]);
      expect(ts.logs.some((l) => l.includes('webhook answered 302'))).toBe(true);
    } finally {
      detach();
      redirecting.closeAllConnections();
      await new Promise<void>((r) => redirecting.close(() => r()));
    }
  });
});

describe('signed deliveries', () => {
  let hook: Hook;
  let ts: TestServer;
  const verify = readmeVerifier();
  beforeAll(async () => {
    hook = await webhookServer();
    ts = await startTestServer({ config: { webhookUrl: hook.url, webhookAllow: LOOPBACK_RECEIVERS } });
  });
  afterAll(async () => {
    await ts.close();
    await hook.close();
  });

  it("every delivery carries a timestamp and an HMAC-SHA256 of timestamp.body with the server's secret, which the README's snippet verifies", async () => {
    await createFlag(ts, 'signed');
    await ts.api('POST', '/api/flags/signed/kill', { as: 'oncall', body: { reason: 'sign me' } });
    await ts.running.services.webhooks.settled();
    const [d] = await hook.waitFor(1);
    const file = path.join(ts.dataDir, 'webhook-secret');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const secret = fs.readFileSync(file, 'utf8').trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(d._headers['x-switchyard-timestamp']).toMatch(/^\d{10}$/);
    expect(d._headers['x-switchyard-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);

    expect(verify(secret, d._headers, d._body)).toBe(true);
    expect(verify(secret, d._headers, d._body.replace('sign me', 'forged'))).toBe(false);
    expect(verify('another-secret-of-at-least-32-characters', d._headers, d._body)).toBe(false);
    expect(verify(secret, { ...d._headers, 'x-switchyard-timestamp': String(Number(d._headers['x-switchyard-timestamp']) + 1) }, d._body)).toBe(false);
    expect(verify(secret, d._headers, d._body, Date.now() + 10 * 60_000)).toBe(false);
  });

  it('WEBHOOK_SECRET, when set, is the key, and a short one is refused', async () => {
    const own = await webhookServer();
    const secret = 'k'.repeat(40);
    const other = await startTestServer({ config: { webhookUrl: own.url, webhookAllow: LOOPBACK_RECEIVERS, webhookSecret: secret } });
    try {
      await createFlag(other, 'env-signed');
      await other.api('POST', '/api/flags/env-signed/kill', { as: 'oncall', body: { reason: 'env' } });
      await other.running.services.webhooks.settled();
      const [d] = await own.waitFor(1);
      expect(verify(secret, d._headers, d._body)).toBe(true);
      expect(fs.existsSync(path.join(other.dataDir, 'webhook-secret'))).toBe(false);
    } finally {
      await other.close();
      await own.close();
    }
    expect(() => configFromEnv({ WEBHOOK_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });
});

describe('the webhook URL is a secret', () => {
  let hook: Hook;
  let other: Hook;
  let ts: TestServer;
  beforeAll(async () => {
    hook = await webhookServer();
    other = await webhookServer();
    ts = await startTestServer({ config: { webhookAllow: LOOPBACK_RECEIVERS } });
  });
  afterAll(async () => {
    await ts.close();
    await hook.close();
    await other.close();
  });

  it('is shown once when set, then redacted with a hash in plan views for every role, new audit entries, the admin stream and exports', async () => {
    const admin = rawPeer(wsUrl(ts.url, '/api/stream'), { protocols: ['switchyard.admin.v1', `bearer.${await ts.token('viewer')}`] });
    await admin.next((m) => m.type === 'hello');
    await createFlag(ts, 'quiet');
    const put = await ts.api('PUT', '/api/flags/quiet/plan', { as: 'pm', body: { stages: twoStages, webhookUrl: hook.url, reason: 'hook it up' } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.plan.plan.webhookUrl).toBe(hook.url);

    const redacted = `${new URL(hook.url).origin}/…/****`;
    for (const role of ['admin', 'pm', 'engineer', 'oncall', 'viewer'] as const) {
      for (const p of ['/api/flags/quiet/plan', '/api/flags/quiet/plan?version=1']) {
        const view = await ts.api('GET', p, { as: role });
        expect(view.body.plan, `${role} ${p}`).toMatchObject({ webhookUrl: redacted, webhookUrlHash: sha12(hook.url) });
        expect(view.text).not.toContain('secret-path');
      }
    }
    await admin.next((m) => m.type === 'audit' && m.entry.action === 'plan.update');
    const audit = await ts.api('GET', '/api/audit?flag=quiet', { as: 'admin' });
    const entry = audit.body.entries.find((e: any) => e.action === 'plan.update');
    expect(entry.after.plan).toMatchObject({ webhookUrl: redacted, webhookUrlHash: sha12(hook.url) });
    for (const text of [
      audit.text,
      (await ts.api('GET', '/api/audit/export?format=jsonl', { as: 'viewer' })).text,
      (await ts.api('GET', '/api/audit/export?format=csv', { as: 'viewer' })).text,
      JSON.stringify(admin.messages),
    ]) {
      expect(text).toContain('webhookUrlHash');
      expect(text).not.toContain('secret-path');
    }
    expect((await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.ok).toBe(true);
    admin.ws.close();

    const second = await ts.api('PUT', '/api/flags/quiet/plan', { as: 'pm', body: { stages: twoStages, webhookUrl: other.url.replace('secret-path', 'other-secret') } });
    expect(second.status, second.text).toBe(200);
    const hashes = (await ts.api('GET', '/api/flags/quiet/plan', { as: 'viewer' })).body.plan.webhookUrlHash;
    expect(hashes).not.toBe(sha12(hook.url));
  });

  it('a plan PUT that sends the redacted URL back keeps the current one, and deliveries still reach it', async () => {
    await createFlag(ts, 'edited');
    expect((await ts.api('PUT', '/api/flags/edited/plan', { as: 'pm', body: { stages: twoStages, webhookUrl: hook.url } })).status).toBe(200);
    const shown = (await ts.api('GET', '/api/flags/edited/plan', { as: 'pm' })).body.plan;
    const same = await ts.api('PUT', '/api/flags/edited/plan', { as: 'pm', body: { stages: twoStages, webhookUrl: shown.webhookUrl } });
    expect(same.body.changed).toBe(false);
    const edited = await ts.api('PUT', '/api/flags/edited/plan', { as: 'pm', body: { stages: [{ percent: 10 }, { percent: 100 }], webhookUrl: shown.webhookUrl } });
    expect(edited.body.changed).toBe(true);
    expect(edited.body.plan.plan).toMatchObject({ webhookUrl: shown.webhookUrl, webhookUrlHash: sha12(hook.url) });
    expect(edited.text).not.toContain('secret-path');

    const seen = hook.received.length;
    await ts.api('POST', '/api/flags/edited/kill', { as: 'oncall', body: { reason: 'still wired' } });
    await ts.running.services.webhooks.settled();
    expect(hook.received.slice(seen).map((n) => n.flag)).toEqual(['edited']);
  });
});
