// The peer SDKs, each set up OFFLINE (no network; see /work/shared notes and docs/performance.md)
// with the four evaluation scenarios of bench/eval: (a) a 25% rollout, (b) the same behind three
// cohort rules (plan in [pro, team], country = US, email ends with @acme.com), (c) a killed
// flag, (d) an unknown flag with a fallback. Each peer gets contexts in its own shape.
import { once } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import { root } from './ts.mjs';

const benchRequire = createRequire(path.join(root, 'bench', 'package.json'));
const load = async (name) => import(benchRequire.resolve(name));

/** Whether the peer SDKs are installed (bench/node_modules). */
export function peersInstalled() {
  try {
    for (const p of ['@openfeature/flagd-core', '@growthbook/growthbook', 'unleash-client', '@launchdarkly/node-server-sdk']) benchRequire.resolve(p);
    return true;
  } catch {
    return false;
  }
}

export const FLAGS = { a: 'rollout-25', b: 'cohort-25', c: 'killed', d: 'missing' };

/** Each peer: `{ name, async, setup() -> { ctx(i, key), evalFns: {a,b,c,d}, close() } }`. */
export const PEERS = [
  {
    name: 'flagd-core',
    async setup() {
      const { FlagdCore } = await load('@openfeature/flagd-core');
      const core = new FlagdCore();
      const fractional = { fractional: [['on', 25], ['off', 75]] };
      const base = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' };
      core.setConfigurations(
        JSON.stringify({
          flags: {
            [FLAGS.a]: { ...base, targeting: fractional },
            [FLAGS.b]: {
              ...base,
              targeting: {
                if: [
                  { and: [{ in: [{ var: 'plan' }, ['pro', 'team']] }, { '==': [{ var: 'country' }, 'US'] }, { ends_with: [{ var: 'email' }, '@acme.com'] }] },
                  fractional,
                  'off',
                ],
              },
            },
            [FLAGS.c]: { ...base, state: 'DISABLED', targeting: fractional },
          },
        }),
      );
      const val = (flag) => (ctx) => {
        try {
          return core.resolveBooleanEvaluation(flag, false, ctx).value;
        } catch {
          return false; // flagd-core throws for a disabled or missing flag; the caller serves the default
        }
      };
      return {
        ctx: (i, key) => ({ targetingKey: key, plan: 'pro', country: 'US', email: `${key}@acme.com` }),
        fns: { a: val(FLAGS.a), b: val(FLAGS.b), c: val(FLAGS.c), d: val(FLAGS.d) },
        close() {},
      };
    },
  },
  {
    name: 'GrowthBook',
    async setup() {
      const { GrowthBookClient } = await load('@growthbook/growthbook');
      const rule = { force: true, coverage: 0.25, hashAttribute: 'id' };
      const gb = new GrowthBookClient();
      gb.initSync({
        payload: {
          features: {
            [FLAGS.a]: { defaultValue: false, rules: [rule] },
            [FLAGS.b]: { defaultValue: false, rules: [{ ...rule, condition: { plan: { $in: ['pro', 'team'] }, country: 'US', email: { $regex: '@acme\\.com$' } } }] },
            [FLAGS.c]: { defaultValue: false, rules: [] }, // a kill in GrowthBook: the feature is off in the environment
          },
        },
      });
      const val = (flag) => (ctx) => gb.isOn(flag, ctx);
      return {
        ctx: (i, key) => ({ attributes: { id: key, plan: 'pro', country: 'US', email: `${key}@acme.com` } }),
        fns: { a: val(FLAGS.a), b: val(FLAGS.b), c: val(FLAGS.c), d: val(FLAGS.d) },
        close: () => gb.destroy?.(),
      };
    },
  },
  {
    name: 'Unleash',
    async setup() {
      const { initialize, InMemStorageProvider } = await load('unleash-client');
      const strategy = { name: 'flexibleRollout', parameters: { rollout: '25', stickiness: 'default', groupId: FLAGS.a } };
      const constraints = [
        { contextName: 'plan', operator: 'IN', values: ['pro', 'team'] },
        { contextName: 'country', operator: 'IN', values: ['US'] },
        { contextName: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.com'] },
      ];
      const unleash = initialize({
        url: 'http://127.0.0.1:9/api/', // required even offline; never called (refreshInterval 0, no metrics)
        appName: 'switchyard-bench',
        refreshInterval: 0,
        disableMetrics: true,
        storageProvider: new InMemStorageProvider(),
        skipInstanceCountWarning: true,
        bootstrap: {
          data: [
            { name: FLAGS.a, enabled: true, strategies: [strategy] },
            { name: FLAGS.b, enabled: true, strategies: [{ ...strategy, constraints }] },
            { name: FLAGS.c, enabled: false, strategies: [strategy] },
          ],
        },
      });
      unleash.on('error', () => {});
      if (!unleash.isSynchronized?.()) await once(unleash, 'synchronized');
      const val = (flag) => (ctx) => unleash.isEnabled(flag, ctx);
      return {
        ctx: (i, key) => ({ userId: key, properties: { plan: 'pro', country: 'US', email: `${key}@acme.com` } }),
        fns: { a: val(FLAGS.a), b: val(FLAGS.b), c: val(FLAGS.c), d: val(FLAGS.d) },
        close: () => unleash.destroy(),
      };
    },
  },
  {
    name: 'LaunchDarkly (awaited)',
    async: true,
    async setup() {
      const ld = await load('@launchdarkly/node-server-sdk');
      const td = new ld.integrations.TestData();
      const rollout = { variations: [{ variation: 0, weight: 25000 }, { variation: 1, weight: 75000 }] };
      const flag = (key, extra) => ({ key, version: 1, on: true, variations: [true, false], offVariation: 1, fallthrough: { rollout }, ...extra });
      td.usePreconfiguredFlag(flag(FLAGS.a));
      td.usePreconfiguredFlag(
        flag(FLAGS.b, {
          rules: [
            {
              id: 'cohort',
              clauses: [
                { attribute: 'plan', op: 'in', values: ['pro', 'team'] },
                { attribute: 'country', op: 'in', values: ['US'] },
                { attribute: 'email', op: 'endsWith', values: ['@acme.com'] },
              ],
              rollout,
            },
          ],
          fallthrough: { variation: 1 },
        }),
      );
      td.usePreconfiguredFlag(flag(FLAGS.c, { on: false }));
      const client = ld.init('sdk-offline-bench', { updateProcessor: td.getFactory(), sendEvents: false, diagnosticOptOut: true, logger: ld.basicLogger({ level: 'none' }) });
      await client.waitForInitialization({ timeout: 5 });
      const val = (key) => (ctx) => client.variation(key, ctx, false);
      return {
        ctx: (i, key) => ({ kind: 'user', key, plan: 'pro', country: 'US', email: `${key}@acme.com` }),
        fns: { a: val(FLAGS.a), b: val(FLAGS.b), c: val(FLAGS.c), d: val(FLAGS.d) },
        close: () => client.close(),
      };
    },
  },
];
