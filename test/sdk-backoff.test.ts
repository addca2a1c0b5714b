import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, createClient, type WebSocketConstructor, type WebSocketLike } from '@switchyard-flags/sdk';

describe('the reconnect backoff', () => {
  it('doubles from 1 s to a 30 s cap, each delay jittered over at least half its range', () => {
    const bases = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
    bases.forEach((base, attempt) => {
      expect(backoffDelay(attempt, () => 0)).toBe(base / 2);
      expect(backoffDelay(attempt, () => 0.5)).toBe(base * 0.75);
      expect(backoffDelay(attempt, () => 0.999999)).toBeCloseTo(base, 0);
    });
    expect(backoffDelay(10_000, () => 1)).toBe(30_000);
  });
});

/**
 * A stand-in for the network: each socket either fails at once or opens and sends an empty
 * snapshot, as the test says. Time is vitest's fake clock, so a 30 s backoff takes no time.
 */
function network() {
  const sockets: Array<WebSocketLike & { fail(): void }> = [];
  let up = false;
  class Socket implements WebSocketLike {
    readyState = 0;
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    constructor() {
      sockets.push(this);
      const open = up;
      queueMicrotask(() => {
        if (!open) return this.fail();
        this.readyState = 1;
        this.onopen?.({});
        this.onmessage?.({ data: JSON.stringify({ type: 'snapshot', version: 1, flags: [] }) });
      });
    }
    send(): void {}
    close(): void {
      this.readyState = 3;
    }
    fail(): void {
      this.readyState = 3;
      this.onclose?.({ code: 1006 });
    }
  }
  return {
    WebSocket: Socket as unknown as WebSocketConstructor,
    sockets,
    setUp: (v: boolean) => (up = v),
  };
}

describe('reconnecting', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Runs the clock to the next reconnect and returns how long it waited. */
  async function nextAttempt(): Promise<number> {
    const start = Date.now();
    await vi.advanceTimersToNextTimerAsync();
    return Date.now() - start;
  }

  it('waits 1 s, 2 s, 4 s ... capped at 30 s (jittered), and starts over after a healthy minute', async () => {
    const net = network();
    // Telemetry off: its own interval would otherwise be the "next timer" this test steps to.
    const client = createClient({ url: 'http://switchyard.test', sdkKey: 'sy_sdk_x', WebSocket: net.WebSocket, random: () => 0, heartbeatTimeoutMs: 3_600_000, telemetryIntervalMs: 0 });
    await vi.advanceTimersByTimeAsync(0);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) delays.push(await nextAttempt());
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000]);
    expect(net.sockets.length).toBe(8);

    net.setUp(true);
    await nextAttempt();
    expect(client.status).toBe('ready');
    await vi.advanceTimersByTimeAsync(60_000);
    net.sockets.at(-1)!.fail();
    expect(client.status).toBe('stale');
    expect(await nextAttempt()).toBe(500);
    expect(client.status).toBe('ready');

    // Healthy for only a second: the next failure continues the sequence.
    await vi.advanceTimersByTimeAsync(1000);
    net.sockets.at(-1)!.fail();
    expect(await nextAttempt()).toBe(1000);

    const count = net.sockets.length;
    client.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(net.sockets.length).toBe(count);
  });
});

describe('against a real websocket server that closes every SDK socket with 1012', () => {
  it('the Node SDK (ws) backs off between attempts, doubling and jittered, instead of reconnecting in a hot loop', async () => {
    const { WebSocketServer } = await import('ws');
    const arrivals: number[] = [];
    // A real server on port 0: it takes the upgrade, reads the hello, sends a snapshot and closes
    // with 1012 (draining), every time, as a replica stuck in its drain would.
    const wss = new WebSocketServer({ port: 0, handleProtocols: (p) => [...p][0] ?? false });
    wss.on('connection', (sock) => {
      arrivals.push(performance.now());
      sock.once('message', () => {
        sock.send(JSON.stringify({ type: 'snapshot', version: 1, flags: [] }));
        sock.close(1012, 'draining');
      });
    });
    await new Promise((resolve) => wss.once('listening', resolve));
    const url = `http://127.0.0.1:${(wss.address() as { port: number }).port}`;
    const reconnect = { initialMs: 200, maxMs: 5000 };
    const client = createClient({ url, sdkKey: 'sy_sdk_x', reconnect, random: () => 0, telemetryIntervalMs: 0 });
    try {
      while (arrivals.length < 5) await new Promise((r) => setTimeout(r, 20));
      const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
      // With no jitter (random 0) each wait is at least half its step: the first 1012 the default
      // first step (500 ms), then 200 ms doubling from the second attempt on. Before the fix
      // every gap was a millisecond or two (3,144 reconnects in 10 s).
      const floors = [backoffDelay(0, () => 0), backoffDelay(1, () => 0, reconnect), backoffDelay(2, () => 0, reconnect), backoffDelay(3, () => 0, reconnect)];
      expect(floors).toEqual([500, 200, 400, 800]);
      gaps.forEach((gap, i) => expect(gap, `gap ${i}`).toBeGreaterThanOrEqual(floors[i]! - 5));
    } finally {
      client.close();
      await new Promise((resolve) => wss.close(resolve));
    }
  }, 20_000);
});
