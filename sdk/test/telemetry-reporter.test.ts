import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Reach, WebSocketLike } from '../src/client-types.js';
import { MAX_TELEMETRY_COUNTS, type TelemetryCount } from '../src/protocol.js';
import { startReporter } from '../src/telemetry-reporter.js';
import { fakeSockets, type FakeSocket } from './fake-socket.js';

const counts = (n: number): TelemetryCount[] => Array.from({ length: n }, (_, i) => ({ key: `f${i}`, stage: 1, on: i, off: 1, fallback: 0 }));

function openSocket(): FakeSocket {
  const net = fakeSockets();
  new net.WebSocket('ws://flags.test/sdk/stream', []);
  const s = net.sockets[0]!;
  s.accept();
  return s;
}

describe('the telemetry reporter over a fake socket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends the counts in messages of at most MAX_TELEMETRY_COUNTS entries, after the reach sketches', () => {
    const s = openSocket();
    const all = counts(MAX_TELEMETRY_COUNTS * 2 + 1);
    const reach: Reach = { add: () => {}, send: (ws) => ws.send('{"type":"telemetry","counts":[],"reach":[]}') };
    const stop = startReporter(1000, () => s, () => all, reach);
    vi.advanceTimersByTime(1000);
    stop();
    const sent = s.sentJson();
    expect(sent.map((m) => m.counts.length)).toEqual([0, MAX_TELEMETRY_COUNTS, MAX_TELEMETRY_COUNTS, 1]);
    expect(sent[0]).toEqual({ type: 'telemetry', counts: [], reach: [] });
    expect(sent.slice(1).flatMap((m) => m.counts)).toEqual(all);
  });

  it('without a live socket sends nothing and takes no counts, so they keep adding up until the next report', () => {
    let taken = 0;
    const take = () => (taken++, counts(3));
    const reach: Reach = { add: () => {}, send: () => void taken++ };
    const stop = startReporter(1000, () => undefined, take, reach);
    vi.advanceTimersByTime(5000);
    stop();
    expect(taken).toBe(0);
  });

  it('reports every interval while started, and stopping leaves no timer', () => {
    const s = openSocket();
    let live: WebSocketLike | undefined;
    const stop = startReporter(60_000, () => live, () => counts(1));
    vi.advanceTimersByTime(60_000);
    expect(s.sent).toEqual([]); // not live yet
    live = s;
    vi.advanceTimersByTime(120_000);
    expect(s.sentJson()).toEqual([{ type: 'telemetry', counts: counts(1) }, { type: 'telemetry', counts: counts(1) }]);
    stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an interval of 0 starts no timer', () => {
    const stop = startReporter(0, () => undefined, () => counts(1));
    expect(vi.getTimerCount()).toBe(0);
    stop();
  });
});
