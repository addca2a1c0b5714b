import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client, type ClientStatus } from '@switchyard-flags/sdk';
import { createClient as createNodeClient } from '@switchyard-flags/sdk/node';
import { murmur3, rolloutThreshold, bucketOf, saltSeed } from '@switchyard-flags/sdk/bucket';
import { REACH_REGISTERS } from '@switchyard-flags/sdk/protocol';
import { addHash, estimateReach } from '@switchyard-flags/sdk/reach';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, sdkPeer, startProxy } from './helpers/push-client.js';
import { manualClock, putPlan, signAndAdvance } from './rollout-fixtures.js';

const fast = { initialMs: 5, maxMs: 20 };
const DAY = 24 * 60;

/** Reads a flag's usage until `pred` holds (the SDKs report every 50 ms); fails with the last answer after 10 s. */
async function usageWhen(ts: TestServer, key: string, pred: (u: any) => boolean): Promise<any> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await ts.api('GET', `/api/flags/${key}/usage`, { as: 'viewer' });
    expect(r.status).toBe(200);
    if (pred(r.body) || Date.now() > deadline) return r.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function statusOf(client: Client, wanted: ClientStatus): Promise<void> {
  if (client.status === wanted) return Promise.resolve();
  return new Promise((resolve) => {
    const off = client.on('status', (s) => {
      if (s === wanted) {
        off();
        resolve();
      }
    });
  });
}

const stageOf = (u: any, stage: number) => u.stages.find((s: any) => s.stage === stage);

describe('evaluation telemetry from real SDK clients', () => {
  const time = manualClock('2026-06-01T09:00:00.000Z');
  let ts: TestServer;
  let key: string;
  const clients: Client[] = [];
  const sdk = (url = ts.url) => {
    const c = createClient({ url, sdkKey: key, telemetryIntervalMs: 50, reconnect: fast });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    ts = await startTestServer({ clock: time.clock });
    key = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'ai-draft');
    await createFlag(ts, 'plain', { on: 'v2', off: 'v1' });
    const plan = await putPlan(ts, 'ai-draft', { stages: [{ percent: 100 }] });
    expect(plan.status).toBe(200);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await ts.close();
  });

  it('sums the counts of several clients per flag, stage and served variant, attributing each to the stage that served it', async () => {
    const apps = [sdk(), sdk(), sdk()];
    for (const app of apps) expect(await app.ready()).toBe(true);
    const auditBefore = (await ts.api('GET', '/api/audit?limit=500', { as: 'viewer' })).body.entries.length;

    // Stage 0: everyone gets off. Client i evaluates ai-draft 10*(i+1) times and plain 3 times, plus one fallback.
    apps.forEach((app, i) => {
      for (let n = 0; n < 10 * (i + 1); n++) expect(app.isEnabled('ai-draft', { key: `user-${n}` })).toBe(false);
      for (let n = 0; n < 3; n++) expect(app.value('plain', { key: `user-${n}` }, 'fallback')).toBe('v1');
      expect(app.value('plain', { key: 'u' }, 42)).toBe(42); // another type than the flag serves: the caller's fallback
      expect(app.evaluate('missing-flag').reason).toBe('FLAG_NOT_FOUND'); // unknown flags are not counted
    });
    const atZero = await usageWhen(ts, 'ai-draft', (u) => u.evaluations === 60);
    expect(atZero).toMatchObject({ key: 'ai-draft', stage: 0, days: null, evaluations: 60 });
    expect(atZero.stages).toEqual([{ stage: 0, percent: 0, evaluations: 60, on: 0, off: 60, fallback: 0, users: null, lastEvaluatedAt: time.iso() }]);
    const plain = await usageWhen(ts, 'plain', (u) => u.evaluations === 12);
    expect(plain.stages).toEqual([{ stage: 0, percent: 0, evaluations: 12, on: 0, off: 9, fallback: 3, users: null, lastEvaluatedAt: time.iso() }]);
    // Telemetry is data, not a change: none of it wrote an audit entry.
    expect((await ts.api('GET', '/api/audit?limit=500', { as: 'viewer' })).body.entries).toHaveLength(auditBefore);

    // Stage 1 (100%): the clients learn the new stage by push, and new counts land on stage 1.
    await signAndAdvance(ts, 'ai-draft');
    await Promise.all(apps.map((app) => new Promise<void>((resolve) => (app.snapshot().flags.find((f) => f.key === 'ai-draft')?.stage === 1 ? resolve() : app.on('change', () => resolve())))));
    time.advanceMinutes(5);
    for (const app of apps) for (let n = 0; n < 7; n++) expect(app.isEnabled('ai-draft', { key: `user-${n}` })).toBe(true);
    const atOne = await usageWhen(ts, 'ai-draft', (u) => u.evaluations === 81);
    expect(atOne).toMatchObject({ stage: 1, evaluations: 81, lastEvaluatedAt: time.iso() });
    expect(stageOf(atOne, 0)).toMatchObject({ evaluations: 60, off: 60, on: 0 });
    expect(stageOf(atOne, 1)).toEqual({ stage: 1, percent: 100, evaluations: 21, on: 21, off: 0, fallback: 0, users: null, lastEvaluatedAt: time.iso() });
  });

  it('keeps counting while the server is away and reports the counts after reconnecting', async () => {
    const proxy = await startProxy(ts.running.port);
    const app = sdk(proxy.url);
    let restarted: TestServer | undefined;
    try {
      expect(await app.ready()).toBe(true);
      const before = (await usageWhen(ts, 'plain', () => true)).evaluations;
      const stale = statusOf(app, 'stale');
      await ts.stop();
      await stale;
      for (let n = 0; n < 25; n++) expect(app.value('plain', { key: `offline-${n}` }, 'fallback')).toBe('v1');

      restarted = await ts.restart();
      ts = restarted;
      proxy.target = restarted.running.port;
      await statusOf(app, 'ready');
      const after = await usageWhen(ts, 'plain', (u) => u.evaluations === before + 25);
      expect(after.evaluations).toBe(before + 25);
      expect(stageOf(after, 0).off).toBe(stageOf(after, 0).evaluations - 3);
    } finally {
      app.close();
      await proxy.close();
    }
  });

  it('lists live flags not evaluated for N days as stale, and never-evaluated flags once they are that old', async () => {
    time.set('2026-06-01T09:00:00.000Z');
    await createFlag(ts, 'never-used');
    await createFlag(ts, 'still-used');
    time.advanceMinutes(40 * DAY);
    await createFlag(ts, 'brand-new');
    const app = sdk();
    expect(await app.ready()).toBe(true);
    app.isEnabled('still-used', { key: 'u1' });
    await usageWhen(ts, 'still-used', (u) => u.evaluations === 1);

    const now = await ts.api('GET', '/api/stale-flags?days=30', { as: 'viewer' });
    expect(now.status).toBe(200);
    const staleNow = now.body.flags.map((f: any) => f.key);
    expect(staleNow).toContain('never-used');
    expect(staleNow).not.toContain('still-used');
    expect(staleNow).not.toContain('brand-new');
    expect(now.body.flags.find((f: any) => f.key === 'never-used')).toMatchObject({ owner: 'ai-eng@acme', lastEvaluatedAt: null });

    time.advanceMinutes(31 * DAY);
    const later = await ts.api('GET', '/api/stale-flags', { as: 'viewer' }); // days defaults to 30
    expect(later.body.days).toBe(30);
    const staleLater = later.body.flags.map((f: any) => f.key);
    expect(staleLater).toEqual(expect.arrayContaining(['never-used', 'still-used', 'brand-new']));
    expect(later.body.flags.find((f: any) => f.key === 'still-used').lastEvaluatedAt).toBe('2026-07-11T09:00:00.000Z');

    // A window in days on usage; stale refuses a nonsense window.
    expect((await ts.api('GET', '/api/flags/still-used/usage?days=7', { as: 'viewer' })).body).toMatchObject({ days: 7, evaluations: 0 });
    expect((await ts.api('GET', '/api/flags/still-used/usage?days=60', { as: 'viewer' })).body).toMatchObject({ days: 60, evaluations: 1 });
    for (const q of ['days=0', 'days=abc', 'days=5000', 'other=1']) {
      const bad = await ts.api('GET', `/api/stale-flags?${q}`, { as: 'viewer' });
      expect(bad.status, q).toBe(400);
      expect(bad.body.error.code).toBe('invalid_query');
    }
    expect((await ts.api('GET', '/api/flags/nope/usage', { as: 'viewer' })).status).toBe(404);
    expect((await ts.api('GET', '/api/stale-flags', { as: 'metrics' })).status).toBe(403);
    expect((await ts.api('GET', '/api/flags/still-used/usage', { as: 'metrics' })).status).toBe(403);
  });

  it('closes the socket with 4400 on malformed telemetry, stores nothing from it, and ignores counts for unknown flags', async () => {
    const entry = { key: 'plain', stage: 0, on: 0, off: 1, fallback: 0 };
    const garbage: unknown[] = [
      { type: 'telemetry' },
      { type: 'telemetry', counts: 'lots' },
      { type: 'telemetry', counts: [{ ...entry, off: -1 }] },
      { type: 'telemetry', counts: [{ ...entry, off: 1.5 }] },
      { type: 'telemetry', counts: [{ ...entry, off: '1' }] },
      { type: 'telemetry', counts: [{ ...entry, stage: 5000 }] },
      { type: 'telemetry', counts: [{ ...entry, key: '../etc' }] },
      { type: 'telemetry', counts: [{ key: 'plain', stage: 0, on: 1, off: 1 }] },
      { type: 'telemetry', counts: [null] },
      { type: 'telemetry', counts: Array.from({ length: 501 }, () => entry) },
      { type: 'telemetry', counts: [], reach: 'lots' },
      { type: 'telemetry', counts: [], reach: [{ key: 'plain', stage: 0, regs: '00'.repeat(63) }] },
      { type: 'telemetry', counts: [], reach: [{ key: 'plain', stage: 0, regs: '1a'.repeat(64) }] }, // a register above 25
      { type: 'telemetry', counts: [], reach: [{ key: 'plain', stage: 0, regs: '0A'.repeat(64) }] }, // upper case
      { type: 'telemetry', counts: [], reach: [{ key: 'plain', stage: -1, regs: '00'.repeat(64) }] },
      { type: 'telemetry', counts: [], reach: [{ key: 'plain', stage: 0 }] },
      { type: 'telemetry', counts: [], reach: Array.from({ length: 101 }, () => ({ key: 'plain', stage: 0, regs: '01'.repeat(64) })) },
    ];
    const before = (await usageWhen(ts, 'plain', () => true)).evaluations;
    for (const msg of garbage) {
      const peer = sdkPeer(ts, key);
      await peer.next((m) => m.type === 'snapshot');
      peer.send({ type: 'telemetry', counts: [entry] }); // valid: counts before the bad frame
      peer.send(msg);
      const error = await peer.next((m) => m.type === 'error');
      expect(error.code, JSON.stringify(msg).slice(0, 80)).toBe('malformed_message');
      expect((await peer.closed).code).toBe(4400);
    }
    // Only the valid frames sent before each bad one counted.
    const after = await usageWhen(ts, 'plain', (u) => u.evaluations >= before + garbage.length);
    expect(after.evaluations).toBe(before + garbage.length);

    // Telemetry before hello is refused like any other message.
    const early = sdkPeer(ts, key, 0);
    early.ws.removeAllListeners('open');
    early.ws.on('open', () => early.send({ type: 'telemetry', counts: [entry] }));
    expect((await early.closed).code).toBe(4400);

    // A valid frame naming a flag that does not exist (or was archived) is accepted and dropped.
    const peer = sdkPeer(ts, key);
    await peer.next((m) => m.type === 'snapshot');
    peer.send({ type: 'telemetry', counts: [{ ...entry, key: 'no-such-flag' }, { ...entry, off: 2 }], future: 'ignored' });
    const last = await usageWhen(ts, 'plain', (u) => u.evaluations === before + garbage.length + 2);
    expect(last.evaluations).toBe(before + garbage.length + 2);
    expect(peer.ws.readyState).toBe(peer.ws.OPEN);
    peer.ws.close();
  });
});

/** The sketch of `keys` under `salt`, computed here as docs/protocol.md ("Reach") defines it. */
function expectedUsers(salt: string, keys: Iterable<string>): number {
  const regs = new Uint8Array(REACH_REGISTERS);
  for (const k of keys) addHash(regs, murmur3(k, saltSeed(salt)) >>> 2);
  return estimateReach(regs);
}

describe('distinct users reached, from real Node SDK clients', () => {
  let ts: TestServer;
  const clients: Client[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    await ts.close();
  });

  it('merges the overlapping users of two clients into one estimate per stage (300 + 300 keys, 100 shared: about 500), and counts a user once across stages', async () => {
    ts = await startTestServer();
    const sdkKey = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'summaries');
    expect((await putPlan(ts, 'summaries', { stages: [{ percent: 30 }, { percent: 100 }] })).status).toBe(200);
    await signAndAdvance(ts, 'summaries');
    const [a, b] = [0, 1].map(() => createNodeClient({ url: ts.url, sdkKey, telemetryIntervalMs: 50, reconnect: fast }));
    clients.push(a!, b!);
    for (const c of clients) expect(await c.ready()).toBe(true);
    const state = a!.snapshot().flags.find((f) => f.key === 'summaries')!;
    expect(state.stage).toBe(1);
    const seed = saltSeed(state.salt);
    const aKeys = Array.from({ length: 300 }, (_, i) => `user-${i}`);
    const bKeys = Array.from({ length: 300 }, (_, i) => `user-${i + 200}`); // user-200..299 are shared
    const union = [...new Set([...aKeys, ...bKeys])];

    // Stage 1 (30%): only the keys in the rollout are served on, and only those count.
    const inAt30 = union.filter((k) => bucketOf(seed, k) < rolloutThreshold(30));
    for (const k of aKeys) a!.isEnabled('summaries', { key: k });
    for (const k of bKeys) b!.isEnabled('summaries', { key: k });
    const onAt30 = aKeys.filter((k) => inAt30.includes(k)).length + bKeys.filter((k) => inAt30.includes(k)).length;
    const atOne = stageOf(await usageWhen(ts, 'summaries', (u) => stageOf(u, 1)?.on === onAt30), 1);
    expect(atOne.on).toBe(onAt30);
    expect(atOne.users).toBe(expectedUsers(state.salt, inAt30));

    // Stage 2 (100%): everyone; 500 distinct users, each counted once whichever client served them.
    await signAndAdvance(ts, 'summaries');
    await Promise.all(clients.map((c) => new Promise<void>((resolve) => (c.snapshot().flags.find((f) => f.key === 'summaries')?.stage === 2 ? resolve() : c.on('change', () => resolve())))));
    for (let round = 0; round < 2; round++) {
      for (const k of aKeys) expect(a!.isEnabled('summaries', { key: k })).toBe(true);
      for (const k of bKeys) expect(b!.isEnabled('summaries', { key: k })).toBe(true);
    }
    const usage = await usageWhen(ts, 'summaries', (u) => stageOf(u, 2)?.on === 1200);
    const atTwo = stageOf(usage, 2);
    expect(atTwo.on).toBe(1200);
    expect(atTwo.users).toBe(expectedUsers(state.salt, union)); // exactly the sketch of the union
    // About 500: 64 registers give a 13% standard error, and the salt is random; 4 SE either side.
    expect(atTwo.users).toBeGreaterThan(500 * 0.48);
    expect(atTwo.users).toBeLessThan(500 * 1.52);
    // The total over stages counts the users served at stage 1 again at stage 2 once: it is stage 2's figure.
    expect(usage.users).toBe(atTwo.users);
    expect((await ts.api('GET', '/api/flags/summaries/usage?days=1', { as: 'viewer' })).body.users).toBe(atTwo.users);
    // A stage no SDK reported reach for has none.
    expect(stageOf(usage, 0)).toBeUndefined();
  });
});
