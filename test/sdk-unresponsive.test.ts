import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, sdkPeer, type RawPeer } from './helpers/push-client.js';
import { advance, putPlan, signoff } from './rollout-fixtures.js';

// Issue 20, finding 7: sockets that say hello and never acknowledge must not stall kills or gates.

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ config: { ackTimeoutMs: 300 } });
});
afterAll(() => ts.close());

const gatesOf = async (key: string) => (await ts.api('GET', `/api/flags/${key}/gates`, { as: 'viewer' })).body;

/** An SDK that acknowledges every state message it gets, as the real client does. */
function ackingPeer(key: string): RawPeer {
  const p = sdkPeer(ts, key);
  p.ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.type === 'snapshot' || m.type === 'changes') p.send({ type: 'ack', version: m.version });
  });
  return p;
}

describe('SDKs that never acknowledge', () => {
  it('200 sockets that say hello and never acknowledge are closed as unresponsive (4408 ack_timeout), listed apart in the kill\'s figures, and hold no convergence gate', async () => {
    await createFlag(ts, 'support-draft');
    await putPlan(ts, 'support-draft', { stages: [{ percent: 5 }, { percent: 25, minApplied: 100 }, { percent: 100 }] });
    await signoff(ts, 'support-draft', 'bob');
    expect((await advance(ts, 'support-draft')).status).toBe(200);
    await signoff(ts, 'support-draft', 'bob');

    const { key } = await issueSdkKey(ts, 'real-app');
    const real = ackingPeer(key);
    await real.next((m) => m.type === 'snapshot');
    const { key: attacker } = await issueSdkKey(ts, 'stolen-server-key');
    const silent = Array.from({ length: 200 }, () => sdkPeer(ts, attacker));
    await Promise.all(silent.map((p) => p.next((m) => m.type === 'snapshot')));

    const closed = await Promise.all(silent.map((p) => p.closed));
    expect(closed.every((c) => c.code === 4408 && c.reason === 'ack_timeout')).toBe(true);
    expect(silent[0]!.messages.find((m) => m.type === 'error')).toMatchObject({ code: 'ack_timeout', message: expect.stringContaining('ACK_TIMEOUT_MS') });

    const kill = await ts.api('POST', '/api/flags/support-draft/kill', { as: 'oncall', body: { reason: 'stall drill', waitMs: 5000 } });
    expect(kill.status).toBe(200);
    expect(kill.body.propagation).toMatchObject({ connected: 1, applied: 1, pending: 0, unresponsive: 200 });
    await real.next((m) => m.type === 'changes');

    const restore = await ts.api('POST', '/api/flags/support-draft/restore', { as: 'oncall', body: { reason: 'drill over', waitMs: 5000 } });
    expect(restore.body.propagation).toMatchObject({ connected: 1, applied: 1, pending: 0, unresponsive: 200 });
    const g = (await gatesOf('support-draft')).gates.find((x: any) => x.gate === 'convergence');
    expect(g).toMatchObject({ ok: true, connected: 1, applied: 1, notApplied: [] });

    const scrape = await ts.api('GET', '/metrics', { as: 'viewer' });
    expect(scrape.text).toMatch(/^switchyard_sdk_unresponsive_total 200$/m);
    real.ws.close();
  });

  it('an SDK that acknowledged its snapshot but stops acknowledging changes is closed as unresponsive too', async () => {
    await createFlag(ts, 'new-model');
    const { key } = await issueSdkKey(ts, 'half-app');
    const p = sdkPeer(ts, key);
    const snap = await p.next((m) => m.type === 'snapshot');
    p.send({ type: 'ack', version: snap.version });
    await ts.api('POST', '/api/flags/new-model/kill', { as: 'oncall', body: { reason: 'no ack drill' } });
    await p.next((m) => m.type === 'changes');
    expect(await p.closed).toEqual({ code: 4408, reason: 'ack_timeout' });
  });
});
