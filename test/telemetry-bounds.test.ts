import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, sdkPeer } from './helpers/push-client.js';
import { manualClock, putPlan } from './rollout-fixtures.js';

// Figures an SDK key cannot forge (issue 12): telemetry from any key is bounded to existing
// flags, stages that exist, and counts one client can plausibly serve; refusals are counted.
const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;
let key: string;

beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock });
  key = (await issueSdkKey(ts)).key;
});
afterAll(async () => {
  await ts.close();
});

const usage = async (flag: string) => {
  await ts.running.services.telemetry.flush();
  return (await ts.api('GET', `/api/flags/${flag}/usage`, { as: 'viewer' })).body;
};
async function refused(): Promise<Record<string, number>> {
  const text = (await ts.api('GET', '/metrics', { as: 'admin' })).text;
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^switchyard_telemetry_refused_total\{reason="([a-z_]+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}
/** Sends messages on one SDK connection, then a marker count on `marker`, and waits until the marker is recorded. */
async function sendAll(messages: unknown[], marker: string) {
  const peer = sdkPeer(ts, key);
  await peer.next((m) => m.type === 'snapshot');
  for (const m of messages) peer.send(m);
  const before = (await usage(marker)).evaluations;
  peer.send({ type: 'telemetry', counts: [{ key: marker, stage: 0, on: 0, off: 1, fallback: 0 }] });
  for (let i = 0; i < 400 && (await usage(marker)).evaluations === before; i++) await new Promise((r) => setTimeout(r, 10));
  return peer;
}

describe('telemetry bounds', () => {
  it('forged telemetry records nothing for stages that do not exist, nor more evaluations or users than a client can serve, and each refusal is counted', async () => {
    await createFlag(ts, 'never-started');
    await createFlag(ts, 'marker');
    const peer = await sendAll(
      [
        { type: 'telemetry', counts: Array.from({ length: 100 }, (_, i) => ({ key: 'never-started', stage: 900 + i, on: 9e15, off: 0, fallback: 0 })) },
        { type: 'telemetry', counts: Array.from({ length: 100 }, (_, i) => ({ key: 'never-started', stage: 900 + i, on: 10, off: 0, fallback: 0 })) },
        { type: 'telemetry', counts: [], reach: [{ key: 'never-started', stage: 0, regs: '19'.repeat(64) }] },
        { type: 'telemetry', counts: [{ key: 'never-started', stage: 0, on: 0, off: 7, fallback: 0 }] },
      ],
      'marker',
    );
    const u = await usage('never-started');
    expect(u.evaluations).toBe(7);
    expect(u.stages).toEqual([expect.objectContaining({ stage: 0, evaluations: 7, off: 7, users: null })]);
    expect(await refused()).toMatchObject({ implausible_count: 1, unknown_stage: 100, implausible_reach: 1 });
    // A refusal is not a protocol error: the connection stays open.
    expect(peer.ws.readyState).toBe(peer.ws.OPEN);
    peer.ws.close();
  });

  it("a flag's planned stages are accepted, one past its last is not", async () => {
    await createFlag(ts, 'planned');
    await putPlan(ts, 'planned', { stages: [{ percent: 5 }, { percent: 100 }] });
    const before = (await refused()).unknown_stage ?? 0;
    const peer = await sendAll([{ type: 'telemetry', counts: [0, 1, 2, 3].map((stage) => ({ key: 'planned', stage, on: 1, off: 1, fallback: 0 })) }], 'marker');
    expect((await usage('planned')).stages.map((s: any) => s.stage)).toEqual([0, 1, 2]);
    // Counted per stored row: stage 3's `on` and `off` counts.
    expect((await refused()).unknown_stage).toBe(before + 2);
    peer.ws.close();
  });

  it("plausible forged `on` counts for a flag at 0% (stage 0 serves `on` to nobody) are refused as impossible, and its `off` counts kept", async () => {
    await createFlag(ts, 'at-zero');
    const before = (await refused()).impossible_on ?? 0;
    // Within what one client can serve in a minute (1,000,000 evaluations a second): the per-report bound alone lets it in.
    const peer = await sendAll([{ type: 'telemetry', counts: [{ key: 'at-zero', stage: 0, on: 59_000_000, off: 5, fallback: 0 }] }], 'marker');
    const u = await usage('at-zero');
    expect(u.evaluations).toBe(5);
    expect(u.stages).toEqual([expect.objectContaining({ stage: 0, on: 0, off: 5 })]);
    expect((await refused()).impossible_on).toBe(before + 1);
    peer.ws.close();
  });
});

