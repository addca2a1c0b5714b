import { describe, expect, it } from 'vitest';
import { WriteGate } from './write-gate.js';

function deferred() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { done, release };
}

describe('the write gate', () => {
  it('runs one write at a time, urgent ones ahead of every normal one already waiting', async () => {
    const gate = new WriteGate();
    const order: string[] = [];
    const first = deferred();
    const running = gate.run(false, async () => {
      order.push('first');
      await first.done;
    });
    const queued = [
      gate.run(false, async () => void order.push('metrics-1')),
      gate.run(false, async () => void order.push('metrics-2')),
      gate.run(true, async () => void order.push('kill')),
      gate.run(false, async () => void order.push('metrics-3')),
      gate.run(true, async () => void order.push('restore')),
    ];
    expect(gate.waiting).toEqual({ urgent: 2, normal: 3 });
    first.release();
    await Promise.all([running, ...queued]);
    expect(order).toEqual(['first', 'kill', 'restore', 'metrics-1', 'metrics-2', 'metrics-3']);
  });

  it('a failed write lets the next one in', async () => {
    const gate = new WriteGate();
    await expect(gate.run(false, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(true, async () => 42)).resolves.toBe(42);
    expect(gate.waiting).toEqual({ urgent: 0, normal: 0 });
  });
});
