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

  it('between two normal writes it waits a turn of the event loop, so a kill that arrives then goes before the second', async () => {
    const gate = new WriteGate();
    const order: string[] = [];
    const first = gate.run(false, async () => void order.push('batch-1'));
    const second = gate.run(false, async () => void order.push('batch-2'));
    await first;
    // Back-to-back SQLite batches run on microtasks alone; the kill's request arrives on I/O, a macrotask later.
    const kill = gate.run(true, async () => void order.push('kill'));
    await Promise.all([second, kill]);
    expect(order).toEqual(['batch-1', 'kill', 'batch-2']);
  });

  it('a failed write lets the next one in', async () => {
    const gate = new WriteGate();
    await expect(gate.run(false, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(true, async () => 42)).resolves.toBe(42);
    expect(gate.waiting).toEqual({ urgent: 0, normal: 0 });
  });

  it('with concurrent: 2, two writes run at once and a waiting urgent write is admitted before every normal one', async () => {
    const gate = new WriteGate({ concurrent: 2 });
    const order: string[] = [];
    const a = deferred();
    const b = deferred();
    const running = [
      gate.run(false, async () => {
        order.push('a');
        await a.done;
      }),
      gate.run(false, async () => {
        order.push('b');
        await b.done;
      }),
    ];
    expect(gate.admitted).toBe(2);
    const queued = [gate.run(false, async () => void order.push('metrics')), gate.run(true, async () => void order.push('kill'))];
    expect(gate.waiting).toEqual({ urgent: 1, normal: 1 });
    expect(order).toEqual(['a', 'b']);
    b.release();
    await queued[1];
    // b's slot went to the kill, queued after the metric batch; the kill's slot then to the batch.
    expect(order.slice(0, 3)).toEqual(['a', 'b', 'kill']);
    a.release();
    await Promise.all([...running, ...queued]);
    expect(order).toEqual(['a', 'b', 'kill', 'metrics']);
    // A slot passes to a normal write after a turn of the event loop: a's went back then.
    await new Promise((r) => setImmediate(r));
    expect({ admitted: gate.admitted, waiting: gate.waiting }).toEqual({ admitted: 0, waiting: { urgent: 0, normal: 0 } });
  });

  it('refuses a concurrency that is not a whole number from 1 to 1000', () => {
    for (const concurrent of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1001]) expect(() => new WriteGate({ concurrent })).toThrow(RangeError);
  });
});
