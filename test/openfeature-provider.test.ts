import { OpenFeature, ProviderEvents, type EventDetails } from '@openfeature/server-sdk';
import { OpenFeature as WebOpenFeature, ProviderEvents as WebProviderEvents } from '@openfeature/web-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchyardProvider } from '@switchyard-flags/sdk/openfeature';
import { SwitchyardWebProvider } from '@switchyard-flags/sdk/openfeature-web';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, startProxy } from './helpers/push-client.js';

const fast = { initialMs: 5, maxMs: 20 };

describe('the OpenFeature server provider, through the real OpenFeature API', () => {
  let ts: TestServer;
  let key: { key: string; id: string };

  beforeAll(async () => {
    ts = await startTestServer();
    key = await issueSdkKey(ts);
    await createFlag(ts, 'dark-mode', { on: true, off: true });
    await createFlag(ts, 'support-draft', { on: 'v2', off: 'v1' });
    await createFlag(ts, 'max-tokens', { on: 4096, off: 1024 });
    await createFlag(ts, 'model-config', { on: { model: 'b' }, off: { model: 'a' } });
    await createFlag(ts, 'killed-one', { on: 'on', off: 'safe' });
    await ts.api('POST', '/api/flags/killed-one/kill', { as: 'oncall', body: { reason: 'test' } });
  });
  afterAll(async () => {
    await OpenFeature.close();
    await ts.close();
  });

  it('resolves boolean, string, number and object flags with reasons', async () => {
    await OpenFeature.setProviderAndWait('values', new SwitchyardProvider({ url: ts.url, sdkKey: key.key }));
    const of = OpenFeature.getClient('values');
    const ctx = { targetingKey: 'user-1', plan: 'pro' };
    expect(await of.getBooleanValue('dark-mode', false, ctx)).toBe(true);
    expect(await of.getStringDetails('support-draft', 'x', ctx)).toMatchObject({ value: 'v1', reason: 'DEFAULT', variant: 'off' });
    expect(await of.getNumberValue('max-tokens', 0, ctx)).toBe(1024);
    expect(await of.getObjectValue('model-config', {}, ctx)).toEqual({ model: 'a' });
    const killed = await of.getStringDetails('killed-one', 'x', ctx);
    expect(killed).toMatchObject({ value: 'safe', reason: 'DISABLED', flagMetadata: { switchyardReason: 'KILLED' } });
    expect(killed.errorCode).toBeUndefined();
  });

  it('answers a missing flag with FLAG_NOT_FOUND and a wrong type with TYPE_MISMATCH, serving the default', async () => {
    await OpenFeature.setProviderAndWait('errors', new SwitchyardProvider({ url: ts.url, sdkKey: key.key }));
    const of = OpenFeature.getClient('errors');
    expect(await of.getBooleanDetails('nope', true, { targetingKey: 'u' })).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(await of.getBooleanDetails('support-draft', false, { targetingKey: 'u' })).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(await of.getNumberDetails('model-config', 7)).toMatchObject({ value: 7, errorCode: 'TYPE_MISMATCH' });
  });

  it('emits READY, CONFIGURATION_CHANGED with the changed flags, STALE when the server is lost and READY again', async () => {
    const proxy = await startProxy(ts.running.port);
    const provider = new SwitchyardProvider({ url: proxy.url, sdkKey: key.key, reconnect: fast });
    const of = OpenFeature.getClient('events');
    const events: string[] = [];
    const waitFor = (type: ProviderEvents) =>
      new Promise<EventDetails | undefined>((resolve) => {
        const h = (d?: EventDetails) => {
          of.removeHandler(type, h);
          resolve(d);
        };
        of.addHandler(type, h);
      });
    for (const t of [ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.ConfigurationChanged, ProviderEvents.Error]) {
      of.addHandler(t, () => events.push(t));
    }
    try {
      const ready = waitFor(ProviderEvents.Ready);
      await OpenFeature.setProviderAndWait('events', provider);
      await ready;

      const changed = waitFor(ProviderEvents.ConfigurationChanged);
      await ts.api('POST', '/api/flags/dark-mode/kill', { as: 'oncall', body: { reason: 'test' } });
      expect((await changed)?.flagsChanged).toEqual(['dark-mode']);

      const stale = waitFor(ProviderEvents.Stale);
      const live = ts.running.port;
      proxy.target = 1; // nothing listens there
      proxy.cut();
      await stale;
      expect(await of.getBooleanValue('dark-mode', false, { targetingKey: 'u' })).toBe(true); // last-known, served while stale

      const back = waitFor(ProviderEvents.Ready);
      proxy.target = live;
      await back;
      expect(events).toEqual(['PROVIDER_READY', 'PROVIDER_CONFIGURATION_CHANGED', 'PROVIDER_STALE', 'PROVIDER_READY']);
    } finally {
      await proxy.close();
    }
  });

  it('emits ERROR for a refused key, and when the key is revoked while connected', async () => {
    const refused = new SwitchyardProvider({ url: ts.url, sdkKey: 'sy_sdk_unknown', initTimeoutMs: 100, reconnect: fast });
    await expect(OpenFeature.setProviderAndWait('refused', refused)).rejects.toBeDefined();
    expect(OpenFeature.getClient('refused').providerStatus).toBe('ERROR');

    const own = await issueSdkKey(ts, 'to-revoke');
    await OpenFeature.setProviderAndWait('revoked', new SwitchyardProvider({ url: ts.url, sdkKey: own.key, reconnect: fast }));
    const of = OpenFeature.getClient('revoked');
    const error = new Promise<void>((resolve) => of.addHandler(ProviderEvents.Error, () => resolve()));
    await ts.api('POST', `/api/sdk-keys/${own.id}/revoke`, { as: 'admin', body: { reason: 'leaked' } });
    await error;
    expect(of.providerStatus).toBe('ERROR');
  });
});

describe('the OpenFeature web provider, through the real web SDK', () => {
  let ts: TestServer;
  let key: string;

  beforeAll(async () => {
    ts = await startTestServer();
    key = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'support-draft', { on: 'v2', off: 'v1' });
  });
  afterAll(async () => {
    await WebOpenFeature.close();
    await ts.close();
  });

  it('resolves synchronously with the static context and reports configuration changes', async () => {
    await WebOpenFeature.setContext({ targetingKey: 'user-1' });
    await WebOpenFeature.setProviderAndWait(new SwitchyardWebProvider({ url: ts.url, sdkKey: key }));
    const of = WebOpenFeature.getClient();
    expect(of.getStringDetails('support-draft', 'x')).toMatchObject({ value: 'v1', reason: 'DEFAULT' });
    expect(of.getBooleanDetails('missing', true)).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' });
    const changed = new Promise<string[] | undefined>((resolve) => of.addHandler(WebProviderEvents.ConfigurationChanged, (d) => resolve(d?.flagsChanged)));
    await ts.api('POST', '/api/flags/support-draft/kill', { as: 'oncall', body: { reason: 'test' } });
    expect(await changed).toEqual(['support-draft']);
    expect(of.getStringDetails('support-draft', 'x')).toMatchObject({ value: 'v1', reason: 'DISABLED' });
  });
});
