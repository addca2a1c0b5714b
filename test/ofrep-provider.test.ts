import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@switchyard-flags/sdk';
import { putPlan, signAndAdvance } from './rollout-fixtures.js';
import { issueSdkKey } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

/**
 * OpenFeature's own OFREP provider (`@openfeature/ofrep-provider`, nobody here wrote it) through
 * the real `@openfeature/server-sdk` API against a real server.
 */
describe("OpenFeature's OFREP provider against Switchyard", () => {
  let ts: TestServer;
  let key: { key: string; id: string };

  beforeAll(async () => {
    ts = await startTestServer();
    key = await issueSdkKey(ts, 'ofrep-node');
    await createFlag(ts, 'dark-mode', { on: true, off: true });
    await createFlag(ts, 'support-draft', { on: 'v2', off: 'v1' });
    await createFlag(ts, 'max-tokens', { on: 4096, off: 1024 });
    await createFlag(ts, 'model-config', { on: { model: 'b' }, off: { model: 'a' } });
    await createFlag(ts, 'killed-one', { on: 'on', off: 'safe' });
    await ts.api('POST', '/api/flags/killed-one/kill', { as: 'oncall', body: { reason: 'test' } });
    await createFlag(ts, 'quarter', { on: 'new', off: 'old' });
    const plan = await putPlan(ts, 'quarter', { stages: [{ percent: 25 }, { percent: 100 }], reason: 'a quarter of users' });
    expect(plan.status, plan.text).toBe(200);
    await signAndAdvance(ts, 'quarter');
  });
  afterAll(async () => {
    await OpenFeature.close();
    await ts.close();
  });

  const client = async (domain: string, headers: Record<string, string> = { Authorization: `Bearer ${key.key}` }) => {
    await OpenFeature.setProviderAndWait(domain, new OFREPProvider({ baseUrl: ts.url, headers }));
    return OpenFeature.getClient(domain);
  };

  it('resolves boolean, string, number and object flags with OFREP reasons and variants', async () => {
    const of = await client('values');
    const ctx = { targetingKey: 'user-1', plan: 'pro' };
    expect(await of.getBooleanDetails('dark-mode', false, ctx)).toMatchObject({ value: true, variant: 'off', reason: 'STATIC' });
    expect(await of.getStringDetails('support-draft', 'x', ctx)).toMatchObject({ value: 'v1', reason: 'STATIC', variant: 'off' });
    expect(await of.getNumberValue('max-tokens', 0, ctx)).toBe(1024);
    expect(await of.getObjectValue('model-config', {}, ctx)).toEqual({ model: 'a' });
    const details = await of.getStringDetails('support-draft', 'x', ctx);
    expect(details.errorCode).toBeUndefined();
    expect(details.flagMetadata).toMatchObject({ switchyardReason: 'NOT_STARTED', flagVersion: 1 });
  });

  it('serves a killed flag its off value with reason DISABLED', async () => {
    const of = await client('killed');
    const killed = await of.getStringDetails('killed-one', 'x', { targetingKey: 'u' });
    expect(killed).toMatchObject({ value: 'safe', reason: 'DISABLED', flagMetadata: { switchyardReason: 'KILLED' } });
    expect(killed.errorCode).toBeUndefined();
  });

  it('answers a missing flag with FLAG_NOT_FOUND and a wrong type with TYPE_MISMATCH, serving the default', async () => {
    const of = await client('errors');
    expect(await of.getBooleanDetails('nope', true, { targetingKey: 'u' })).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(await of.getBooleanDetails('support-draft', false, { targetingKey: 'u' })).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(await of.getNumberDetails('model-config', 7)).toMatchObject({ value: 7, errorCode: 'TYPE_MISMATCH' });
  });

  it('answers a flag in a partial rollout without a targetingKey with TARGETING_KEY_MISSING', async () => {
    const of = await client('no-key');
    expect(await of.getStringDetails('quarter', 'fallback', { plan: 'pro' })).toMatchObject({ value: 'fallback', reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' });
  });

  it('gives each of 1,000 users the same answer for a flag at 25% as @switchyard-flags/sdk does, through X-API-Key too', async () => {
    const sdk = createClient({ url: ts.url, sdkKey: key.key });
    try {
      expect(await sdk.ready({ timeoutMs: 5000 })).toBe(true);
      const of = await client('agree', { 'X-API-Key': key.key });
      let onCount = 0;
      for (let batch = 0; batch < 1000; batch += 50) {
        const users = Array.from({ length: 50 }, (_, i) => `user-${batch + i}`);
        const answers = await Promise.all(users.map((user) => of.getStringDetails('quarter', 'fallback', { targetingKey: user })));
        answers.forEach((ofrep, i) => {
          const local = sdk.evaluate('quarter', { key: users[i] });
          expect(ofrep.value, users[i]).toBe(local.value);
          expect(ofrep.reason).toBe('SPLIT');
          expect(ofrep.flagMetadata.bucket).toBe(local.bucket);
          if (ofrep.value === 'new') onCount++;
        });
      }
      expect(onCount).toBeGreaterThan(150); // a quarter of 1,000, give or take: both sides really split
      expect(onCount).toBeLessThan(350);
    } finally {
      sdk.close();
    }
  });

  it('serves the default with GENERAL when the SDK key is wrong, and the server answers 401 without a body', async () => {
    const of = await client('bad-key', { Authorization: 'Bearer sy_sdk_not-a-key' });
    expect(await of.getBooleanDetails('dark-mode', false, { targetingKey: 'u' })).toMatchObject({ value: false, reason: 'ERROR' });
    const raw = await fetch(`${ts.url}/ofrep/v1/evaluate/flags/dark-mode`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sy_sdk_not-a-key' }, body: '{}' });
    expect(raw.status).toBe(401);
    expect(await raw.text()).toBe('');
  });
});
