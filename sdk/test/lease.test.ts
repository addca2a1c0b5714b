import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../src/client.js';
import type { ClientStatus, StaleReport } from '../src/client-types.js';
import { createFlags } from '../src/flag-state.js';
import { checkLeases, hasLapsed, leaseMs, staleMessage } from '../src/lease.js';
import type { FlagState } from '../src/protocol.js';
import { fakeSockets } from './fake-socket.js';

const flag = (key: string, extra: Partial<FlagState> = {}): FlagState => ({
  key, version: 1, on: true, off: false, salt: `${key}.salt`, killed: false, paused: false, stage: 1, percent: 100, cohort: [], ...extra,
});

describe('the fail-safe lease, as pure logic', () => {
  it('a flag without maxStaleSeconds (or with a nonsense one) has no lease and never lapses', () => {
    expect(leaseMs(flag('a'))).toBe(0);
    expect(leaseMs(flag('a', { maxStaleSeconds: 0 }))).toBe(0);
    expect(leaseMs(flag('a', { maxStaleSeconds: -5 }))).toBe(0);
    expect(leaseMs(flag('a', { maxStaleSeconds: 'x' as never }))).toBe(0);
    expect(hasLapsed(0, 0, 1e12)).toBe(false);
  });

  it('a lease lapses only once strictly more than maxStaleSeconds have passed since the client last heard', () => {
    expect(leaseMs(flag('a', { maxStaleSeconds: 30 }))).toBe(30_000);
    expect(hasLapsed(30_000, 1000, 31_000)).toBe(false);
    expect(hasLapsed(30_000, 1000, 31_001)).toBe(true);
  });

  it('checkLeases names the lapsed flags in order and says when the next lease will lapse', () => {
    const flags = [flag('z', { maxStaleSeconds: 10 }), flag('b', { maxStaleSeconds: 60 }), flag('a', { maxStaleSeconds: 5 }), flag('free')];
    expect(checkLeases(flags, 0, 4000)).toEqual({ lapsed: [], next: 5001 });
    expect(checkLeases(flags, 0, 12_000)).toEqual({ lapsed: ['a', 'z'], next: 60_001 });
    expect(checkLeases(flags, 0, 61_000)).toEqual({ lapsed: ['a', 'b', 'z'], next: Infinity });
  });

  it('the stale message says how long the server has been silent and which flags serve their off value', () => {
    expect(staleMessage(['support-draft'], 0, 31_000)).toBe('support-draft off (lease lapsed): no word from the server for 31 s');
    expect(staleMessage(['a', 'b'], 0, 31_000)).toBe('a, b off (lease lapsed): no word from the server for 31 s');
    expect(staleMessage([], 0, 5000)).toBe('serving last-known values: no word from the server for 5 s');
  });
});

describe('the fail-safe lease in the flag state and the client (fake socket, fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a leased flag serves its off value with reason STALE past its lease and its on value again once the client hears', () => {
    const flags = createFlags();
    flags.heardAt = Date.now();
    flags.receive({ type: 'snapshot', version: 1, flags: [flag('risky', { maxStaleSeconds: 2 }), flag('calm')] });
    expect(flags.read.isEnabled('risky', { key: 'u' })).toBe(true);
    vi.advanceTimersByTime(2001);
    flags.clock(Date.now()); // the client's lease timer
    expect(flags.read.isEnabled('risky', { key: 'u' })).toBe(false);
    expect(flags.read.value('risky', { key: 'u' }, 'a string')).toBe('a string'); // off is a boolean: the fallback
    expect(flags.read.evaluate('risky', { key: 'u' })).toEqual({ value: false, reason: 'STALE', flagVersion: 1 });
    expect(flags.read.isEnabled('calm', { key: 'u' })).toBe(true); // no lease: last-known forever
    flags.heardAt = Date.now();
    expect(flags.read.isEnabled('risky', { key: 'u' })).toBe(true);
    const counts = flags.takeCounts().find((c) => c.key === 'risky');
    expect(counts).toEqual({ key: 'risky', stage: 1, on: 2, off: 2, fallback: 1 });
  });

  it('a lease lapsed while no timer ran (a throttled background tab) is still noticed within 64 evaluations of the flag', () => {
    const flags = createFlags();
    flags.heardAt = Date.now();
    flags.receive({ type: 'snapshot', version: 1, flags: [flag('risky', { maxStaleSeconds: 2 })] });
    vi.advanceTimersByTime(60_000); // nobody calls flags.clock()
    const served = Array.from({ length: 64 }, () => flags.read.isEnabled('risky', { key: 'u' }));
    expect(served.at(-1)).toBe(false);
    expect(flags.read.isEnabled('risky', { key: 'u' })).toBe(false);
  });

  it('the client turns stale with reason lease_lapsed naming the flags when the server goes silent, and ready when a heartbeat comes', async () => {
    const net = fakeSockets();
    // The watchdog is set far off, so the socket stays "open" while the server is silent: only the lease notices.
    const client = createClient({ url: 'http://flags.test', sdkKey: 'sy_sdk_k', WebSocket: net.WebSocket, heartbeatTimeoutMs: 3_600_000, telemetryIntervalMs: 0 });
    const seen: Array<[ClientStatus, StaleReport | null]> = [];
    client.on('status', (s, r) => void seen.push([s, r]));
    await vi.advanceTimersByTimeAsync(0);
    const sock = net.sockets[0]!;
    sock.accept();
    sock.deliver({ type: 'snapshot', version: 1, flags: [flag('risky', { maxStaleSeconds: 5 }), flag('calm', { maxStaleSeconds: 60 }), flag('free')], heartbeatMs: 1000 });
    expect(client.status).toBe('ready');
    expect(client.stale).toBeNull();
    await vi.advanceTimersByTimeAsync(5002);
    expect(client.status).toBe('stale');
    expect(client.stale).toMatchObject({ reason: 'lease_lapsed', flags: ['risky'] });
    expect(client.stale!.message).toMatch(/^risky off \(lease lapsed\): no word from the server for 5 s$/);
    expect(client.isEnabled('risky', { key: 'u' })).toBe(false);
    expect(client.isEnabled('calm', { key: 'u' })).toBe(true);
    sock.deliver({ type: 'heartbeat', version: 1 });
    expect(client.status).toBe('ready');
    expect(client.stale).toBeNull();
    expect(client.isEnabled('risky', { key: 'u' })).toBe(true);
    expect(seen.map(([s, r]) => [s, r?.reason ?? null, r?.flags ?? null])).toEqual([
      ['ready', null, null],
      ['stale', 'lease_lapsed', ['risky']],
      ['ready', null, null],
    ]);
    client.close();
  });

  it('a disconnected client reports stale "disconnected" first, then lease_lapsed with each flag as its lease runs out', async () => {
    const net = fakeSockets();
    const client = createClient({ url: 'http://flags.test', sdkKey: 'sy_sdk_k', WebSocket: net.WebSocket, telemetryIntervalMs: 0, reconnect: { initialMs: 3_600_000, maxMs: 3_600_000 } });
    await vi.advanceTimersByTimeAsync(0);
    net.sockets[0]!.accept();
    net.sockets[0]!.deliver({ type: 'snapshot', version: 1, flags: [flag('a', { maxStaleSeconds: 5 }), flag('b', { maxStaleSeconds: 10 })] });
    net.sockets[0]!.fail(1006);
    expect(client.status).toBe('stale');
    expect(client.stale).toMatchObject({ reason: 'disconnected', flags: [] });
    await vi.advanceTimersByTimeAsync(5002);
    expect(client.stale).toMatchObject({ reason: 'lease_lapsed', flags: ['a'] });
    await vi.advanceTimersByTimeAsync(5000);
    expect(client.stale).toMatchObject({ reason: 'lease_lapsed', flags: ['a', 'b'] });
    expect([client.isEnabled('a'), client.isEnabled('b')]).toEqual([false, false]);
    client.close();
  });

  it('without any lease a silent or cut client keeps serving last-known values forever, as before', async () => {
    const net = fakeSockets();
    const client = createClient({ url: 'http://flags.test', sdkKey: 'sy_sdk_k', WebSocket: net.WebSocket, telemetryIntervalMs: 0, reconnect: { initialMs: 3_600_000, maxMs: 3_600_000 } });
    await vi.advanceTimersByTimeAsync(0);
    net.sockets[0]!.accept();
    net.sockets[0]!.deliver({ type: 'snapshot', version: 1, flags: [flag('a')] });
    net.sockets[0]!.fail(1006);
    await vi.advanceTimersByTimeAsync(7 * 86_400_000);
    expect(client.isEnabled('a', { key: 'u' })).toBe(true);
    expect(client.stale).toMatchObject({ reason: 'disconnected', flags: [] });
    client.close();
  });
});
