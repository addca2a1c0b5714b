import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
  await createFlag(ts, 'busy-flag');
});
afterAll(() => ts.close());

describe('a kill under write load', () => {
  it('goes ahead of metric batches and edits that were queued before it', async () => {
    const gate = ts.running.storage.gate;
    let release!: () => void;
    // Hold the gate as a long write would, so everything below queues behind it.
    const held = gate.run(false, () => new Promise<void>((r) => (release = r)));
    const finished: string[] = [];
    const track = (name: string, p: Promise<{ status: number }>) =>
      p.then((res) => {
        finished.push(name);
        return res;
      });
    const samples = Array.from({ length: 1000 }, (_, i) => ({ flag: 'busy-flag', metric: 'latency_ms', value: i }));
    const metrics = Array.from({ length: 5 }, (_, i) => track(`metrics-${i}`, ts.api('POST', '/api/metrics', { as: 'metrics', body: { samples } })));
    const edit = track('edit', ts.api('PATCH', '/api/flags/busy-flag', { as: 'engineer', body: { version: 1, description: 'edited' } }));
    // Wait until the server has all six writes waiting at the gate, then ask for the kill.
    for (let i = 0; i < 200 && gate.waiting.normal < 6; i++) await new Promise((r) => setTimeout(r, 5));
    // On SQLite the server's background WAL checkpoint (one a second, at most one queued) may wait there too.
    expect(gate.waiting.normal).toBeGreaterThanOrEqual(6);
    expect(gate.waiting.normal).toBeLessThanOrEqual(ts.running.storage.kind === 'sqlite' ? 7 : 6);
    const kill = track('kill', ts.api('POST', '/api/flags/busy-flag/kill', { as: 'oncall', body: { reason: 'cost spike' } }));
    for (let i = 0; i < 200 && gate.waiting.urgent < 1; i++) await new Promise((r) => setTimeout(r, 5));
    expect(gate.waiting.urgent).toBe(1);
    release();
    await held;
    const results = await Promise.all([kill, edit, ...metrics]);
    // The edit was queued first, for version 1; the kill ran before it, so the edit is stale.
    expect(results.map((r) => r.status)).toEqual([200, 409, 201, 201, 201, 201, 201]);
    expect(finished[0]).toBe('kill');
    const audit = await ts.api('GET', '/api/audit?flag=busy-flag', { as: 'viewer' });
    expect(audit.body.entries.map((e: any) => e.action)).toEqual(['flag.kill', 'flag.create']);
  });
});
