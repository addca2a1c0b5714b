import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRevoked } from '../../server/auth/token-revocations.js';
import { putPlanSchema } from '../../server/rollout/plan-schema.js';
import { parseAllowlist } from '../../server/rollout/webhook-destination.js';
import { actor, createFlag, unitServices, type UnitWorld, refusal } from '../helpers/unit-services.js';

let w: UnitWorld;
afterEach(async () => {
  await w.close();
});

type Sample = Parameters<UnitWorld['samples']['ingest']>[1][number];
const bot = actor('metrics', 'metrics-bot');
const sample = (s: Partial<Sample> & { flag: string }): Sample => ({ metric: 'error_rate', value: 0.01, cohort: 'treatment', ...s });
const stored = async () => (await w.db.selectFrom('metric_samples').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

describe('sample ingestion limits', () => {
  beforeEach(async () => {
    w = await unitServices({ deps: { sampleLimits: { namesPerFlag: 3, samplesPerSecond: 5 } } });
  });

  it('a batch naming an unknown flag is refused at its index and stores nothing of the batch', async () => {
    await createFlag(w, 'known');
    const err = await refusal(w.samples.ingest(bot, [sample({ flag: 'known' }), sample({ flag: 'nope' })], true));
    expect(err).toMatchObject({ status: 400, code: 'unknown_flag', details: [{ index: 1, path: 'samples.1.flag' }] });
    expect(await stored()).toBe(0);
  });

  it('a sample dated more than 5 minutes ahead of the server clock is refused', async () => {
    await createFlag(w, 'ahead');
    const at = new Date(w.time.clock().getTime() + 6 * 60_000).toISOString();
    expect(await refusal(w.samples.ingest(bot, [sample({ flag: 'ahead', at })], false))).toMatchObject({ status: 400, details: [{ path: 'at' }] });
    const near = new Date(w.time.clock().getTime() + 4 * 60_000).toISOString();
    expect((await w.samples.ingest(bot, [sample({ flag: 'ahead', at: near })], false)).stored).toBe(1);
  });

  it('a flag reports at most METRIC_NAMES_PER_FLAG distinct metric names; names it already has still count', async () => {
    await createFlag(w, 'named');
    await w.samples.ingest(bot, ['a', 'b', 'c'].map((metric) => sample({ flag: 'named', metric })), true);
    w.time.advanceMinutes(1);
    const err = await refusal(w.samples.ingest(bot, [sample({ flag: 'named', metric: 'a' }), sample({ flag: 'named', metric: 'd' })], true));
    expect(err).toMatchObject({ status: 400, code: 'too_many_metric_names', details: { flag: 'named', cap: 3, known: 3, newNames: ['d'] } });
    expect((await w.samples.ingest(bot, [sample({ flag: 'named', metric: 'b' })], true)).stored).toBe(1);
  });

  it('one token may send so many samples per second; a batch that does not fit is a 429 and takes nothing', async () => {
    await createFlag(w, 'rated');
    await w.samples.ingest(bot, [1, 2, 3, 4].map((value) => sample({ flag: 'rated', value })), true);
    const err = await refusal(w.samples.ingest(bot, [sample({ flag: 'rated' }), sample({ flag: 'rated' })], true));
    expect(err).toMatchObject({ status: 429, code: 'metrics_rate_limited', details: { limitPerSecond: 5, samples: 2 } });
    // Another token has its own budget, and time refills this one.
    expect((await w.samples.ingest(actor('metrics', 'other-bot'), [sample({ flag: 'rated' })], true)).stored).toBe(1);
    w.time.advanceMinutes(1);
    expect((await w.samples.ingest(bot, [1, 2, 3, 4, 5].map((value) => sample({ flag: 'rated', value })), true)).stored).toBe(5);
  });

  it('a sample measured before the stage began is stored but does not count for the stage, and samples write no audit entry', async () => {
    await createFlag(w, 'metered');
    await w.plans.put(actor('pm', 'pm-author'), 'metered', putPlanSchema.parse({ stages: [{ percent: 5 }, { percent: 100 }] }));
    await w.plans.signoff(actor('pm', 'pm-bob'), 'metered', { comment: 'ok' });
    // A sample's own time is trusted only when it is older than the 5-minute tolerance.
    const before = w.time.iso();
    w.time.advanceMinutes(10);
    await w.rollouts.advance(actor('pm', 'pm-bob'), 'metered');
    expect(await w.samples.ingest(bot, [sample({ flag: 'metered', at: before })], true)).toMatchObject({ stored: 1, uncounted: 1 });
    expect(await w.samples.ingest(bot, [sample({ flag: 'metered' })], true)).not.toHaveProperty('uncounted');
    expect((await w.audit.list({ flag: 'metered', action: 'metrics.' }, undefined, 10)).entries).toEqual([]);
  });
});

describe('sample bounds (issue 20 #3)', () => {
  beforeEach(async () => {
    w = await unitServices({ deps: { sampleLimits: { namesPerFlag: 50, samplesPerSecond: 1000, maxSampleCount: 100, observationsPerSecond: 1000 } } });
  });

  it('one sample claims at most MAX_SAMPLE_COUNT observations: more is a 400 naming the bound, and nothing of the batch is stored', async () => {
    await createFlag(w, 'counted');
    const err = await refusal(w.samples.ingest(bot, [sample({ flag: 'counted', count: 100, stddev: 0 }), sample({ flag: 'counted', count: 101, stddev: 0 })], true));
    expect(err).toMatchObject({ status: 400, code: 'sample_out_of_bounds', details: [{ index: 1, path: 'samples.1.count' }] });
    expect(err.message).toContain('MAX_SAMPLE_COUNT 100');
    expect(await stored()).toBe(0);
    expect((await w.samples.ingest(bot, [sample({ flag: 'counted', count: 100, stddev: 0 })], true)).stored).toBe(1);
  });

  it('a token claims at most so many observations per second: the counts, not the rows, fill its bucket', async () => {
    await createFlag(w, 'claimed');
    for (let i = 0; i < 10; i++) await w.samples.ingest(bot, [sample({ flag: 'claimed', count: 100, stddev: 0 })], true);
    const err = await refusal(w.samples.ingest(bot, [sample({ flag: 'claimed' })], true));
    expect(err).toMatchObject({ status: 429, code: 'metrics_rate_limited', details: { limitPerSecond: 1000, observations: 1 } });
    expect(await stored()).toBe(10);
    w.time.advanceMinutes(1);
    expect((await w.samples.ingest(bot, [sample({ flag: 'claimed', count: 100, stddev: 0 })], true)).stored).toBe(1);
  });
});

describe('token revocation', () => {
  beforeEach(async () => {
    w = await unitServices({ start: '2026-06-01T09:00:00.000Z' });
  });
  const admin = actor('admin', 'admin-ada');
  const at = (iso: string) => Date.parse(iso) / 1000;

  it('revoking by jti refuses that token only; another token of the same person keeps working; it is audited', async () => {
    await w.tokens.revoke(admin, { jti: 'leaked' }, 'posted in a chat');
    expect(await isRevoked(w.db, { sub: 'eng-erin', jti: 'leaked', iat: at('2026-06-01T08:00:00Z') })).toBe(true);
    expect(await isRevoked(w.db, { sub: 'eng-erin', jti: 'other', iat: at('2026-06-01T08:00:00Z') })).toBe(false);
    expect((await w.audit.list({ action: 'token.revoke' }, undefined, 10)).entries).toMatchObject([{ actor: 'admin-ada', reason: 'posted in a chat', after: { jti: 'leaked' } }]);
  });

  it('revoking by subject refuses every token of that subject issued up to now, and none issued later', async () => {
    const view = await w.tokens.revoke(admin, { sub: 'eng-erin' }, 'laptop stolen');
    expect(view.before).toBe('2026-06-01T09:00:01.000Z');
    expect(await isRevoked(w.db, { sub: 'eng-erin', jti: 'a', iat: at('2026-06-01T09:00:00Z') })).toBe(true);
    expect(await isRevoked(w.db, { sub: 'eng-erin', iat: at('2026-06-01T09:00:01Z') })).toBe(false);
    expect(await isRevoked(w.db, { sub: 'eng-other', iat: at('2026-06-01T08:00:00Z') })).toBe(false);
  });
});

describe('webhook destination checks on a plan', () => {
  it('an internal destination is refused unless WEBHOOK_ALLOW lists it', async () => {
    w = await unitServices();
    await createFlag(w, 'hooked');
    const pm = actor('pm', 'pm-author');
    for (const url of ['http://10.0.0.5/hook', 'http://169.254.169.254/latest', 'http://[::1]/hook']) {
      expect(await refusal(w.plans.put(pm, 'hooked', putPlanSchema.parse({ webhookUrl: url }))), url).toMatchObject({ status: 400 });
    }
    expect((await w.plans.get('hooked')).plan).toBeNull();
    await w.close();
    w = await unitServices({ deps: { webhookAllow: parseAllowlist('10.0.0.5') } });
    await createFlag(w, 'hooked');
    const r = await w.plans.put(pm, 'hooked', putPlanSchema.parse({ webhookUrl: 'http://10.0.0.5/hook' }));
    expect(r.plan.plan!.webhookUrl).toBe('http://10.0.0.5/hook');
  });
});
