import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSdkKey, sdkPeer } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { putPlan, signAndAdvance } from './rollout-fixtures.js';

describe('OFREP evaluations are counted like the rest, and listed apart in the propagation figures', () => {
  let ts: TestServer;
  let key: string;

  beforeAll(async () => {
    ts = await startTestServer();
    key = (await issueSdkKey(ts, 'ofrep-usage')).key;
    await createFlag(ts, 'summaries', { on: 'llm', off: 'none' });
    expect((await putPlan(ts, 'summaries', { stages: [{ percent: 100 }], reason: 'all' })).status).toBe(200);
    await signAndAdvance(ts, 'summaries');
  });
  afterAll(() => ts.close());

  const evaluate = (ctx: object, path = '/ofrep/v1/evaluate/flags/summaries') => ts.api('POST', path, { token: key, body: { context: ctx } });

  it('counts OFREP evaluations per flag, stage and variant in the usage figures', async () => {
    const served = { on: 0, off: 0 };
    const tally = (body: any) => served[(body.flags?.[0] ?? body).variant as 'on' | 'off']++;
    for (let i = 0; i < 7; i++) tally((await evaluate({ targetingKey: `u${i}` })).body);
    for (let i = 0; i < 3; i++) tally((await evaluate({ targetingKey: `b${i}` }, '/ofrep/v1/evaluate/flags')).body);
    expect(served).toEqual({ on: 10, off: 0 });
    await ts.api('POST', '/api/flags/summaries/kill', { as: 'oncall', body: { reason: 'cost spike' } });
    // The kill reaches the push state through the change bus: evaluate until it is served.
    let killed = await evaluate({ targetingKey: 'k' });
    tally(killed.body);
    while (killed.body.reason !== 'DISABLED') tally((killed = await evaluate({ targetingKey: 'k' })).body);
    ts.running.services.ofrep.usage.flush();
    await ts.running.services.telemetry.flush();
    const usage = await ts.api('GET', '/api/flags/summaries/usage', { as: 'viewer' });
    expect(usage.status).toBe(200);
    const stage1 = usage.body.stages.find((s: any) => s.stage === 1);
    expect({ on: stage1.on, off: stage1.off, fallback: stage1.fallback }).toEqual({ ...served, fallback: 0 });
    expect(usage.body.evaluations).toBe(served.on + served.off);
    expect(usage.body.lastEvaluatedAt).not.toBeNull();
  });

  it("lists OFREP clients apart: what they last fetched and when, and never as acknowledging SDKs", async () => {
    const peer = sdkPeer(ts, key);
    try {
      await peer.next((m: any) => m.type === 'snapshot');
      const before = (await ts.api('GET', '/api/flags/summaries/propagation', { as: 'viewer' })).body;
      expect(before.connected).toBe(1);
      expect(before.ofrep).toMatchObject({ streams: 0, lastFetchedVersion: before.stateVersion });
      expect(before.ofrep.fetchedSince).toBeGreaterThanOrEqual(1);
      expect(Date.parse(before.ofrep.lastFetchedAt)).not.toBeNaN();

      const restore = await ts.api('POST', '/api/flags/summaries/restore', { as: 'oncall', body: { reason: 'fixed' } });
      expect(restore.status).toBe(200);
      let after = (await ts.api('GET', '/api/flags/summaries/propagation', { as: 'viewer' })).body;
      while (after.stateVersion === before.stateVersion) after = (await ts.api('GET', '/api/flags/summaries/propagation', { as: 'viewer' })).body;
      expect(after.ofrep.fetchedSince).toBe(0); // no OFREP client has fetched the restore yet: nothing is claimed
      expect(after.applied).toBeLessThanOrEqual(after.connected); // the websocket peer only
      expect(after.connected).toBe(1);

      const bulk = await evaluate({ targetingKey: 'late' }, '/ofrep/v1/evaluate/flags');
      expect(bulk.status).toBe(200);
      const fetched = (await ts.api('GET', '/api/flags/summaries/propagation', { as: 'viewer' })).body;
      expect(fetched.ofrep).toMatchObject({ fetchedSince: 1, lastFetchedVersion: after.stateVersion });
    } finally {
      peer.ws.close();
    }
  });
});
