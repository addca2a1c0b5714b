import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay } from '../src/backoff.js';
import { createConnection, SDK_NAME, type Fed, type Link } from '../src/connection.js';
import type { ChangesMessage, SnapshotMessage } from '../src/protocol.js';
import { fakeSockets } from './fake-socket.js';

/** The real setImmediate (acks are written after the I/O already queued, on the real one: it is taken when the module loads). */
const realImmediate = setImmediate;
const afterQueuedIo = () => new Promise<void>((resolve) => realImmediate(resolve));

/** A state and a link that record what the connection did; the state applies a message by taking its version. */
function recordingLink() {
  const got: Array<SnapshotMessage | ChangesMessage> = [];
  const ups: string[][] = [];
  const downs: boolean[] = [];
  const warnings: string[] = [];
  const heard: number[] = [];
  let refuse = false;
  const state: Fed & { version: number } = {
    version: 0,
    receive(m) {
      got.push(m);
      if (refuse) return null;
      state.version = Math.max(state.version, m.version);
      return m.flags.map((f) => f.key);
    },
  };
  const link: Link = {
    up: (changed) => void ups.push(changed),
    down: (authFailed) => void downs.push(authFailed),
    warn: (what) => void warnings.push(what),
    heard: () => void heard.push(Date.now()),
  };
  return { state, link, got, ups, downs, warnings, heard, setVersion: (v: number) => (state.version = v), refuseNext: () => (refuse = true) };
}

const snapshot = (version: number, extra: Partial<SnapshotMessage> = {}): SnapshotMessage => ({ type: 'snapshot', version, flags: [], ...extra });
const changes = (since: number, version: number): ChangesMessage => ({ type: 'changes', since, version, flags: [], removed: [] });

describe('the connection (socket, heartbeat watchdog, backoff, acks) over a fake socket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setUp(extra: { heartbeatTimeoutMs?: number } = {}) {
    const net = fakeSockets();
    const rec = recordingLink();
    const conn = createConnection({ url: 'http://flags.test/', sdkKey: 'sy_sdk_k', WebSocket: net.WebSocket, random: () => 0, ...extra }, rec.state, rec.link);
    return { net, rec, conn };
  }

  it('opens one socket to /sdk/stream with the key in a header and says hello with the version held', async () => {
    const { net, rec, conn } = setUp();
    rec.setVersion(7);
    await conn.open();
    await conn.open(); // already open: no second socket
    expect(net.sockets).toHaveLength(1);
    const s = net.sockets[0]!;
    expect(s.url).toBe('ws://flags.test/sdk/stream');
    expect(s.protocols).toEqual(['switchyard.v1']);
    expect(s.options).toEqual({ headers: { authorization: 'Bearer sy_sdk_k' }, maxPayload: 8 * 1024 * 1024 });
    s.accept();
    expect(s.sentJson()).toEqual([{ type: 'hello', protocol: 1, version: 7, sdk: SDK_NAME }]);
    conn.close();
  });

  it('puts the key in a subprotocol when it uses the global WebSocket, as a browser must', async () => {
    const net = fakeSockets();
    vi.stubGlobal('WebSocket', net.WebSocket);
    try {
      const rec = recordingLink();
      const conn = createConnection({ url: 'https://flags.test', sdkKey: 'sy_sdk_k' }, rec.state, rec.link);
      await conn.open();
      expect(net.sockets[0]!.url).toBe('wss://flags.test/sdk/stream');
      expect(net.sockets[0]!.protocols).toEqual(['switchyard.v1', 'sdk-key.sy_sdk_k']);
      expect(net.sockets[0]!.options).toBeUndefined();
      conn.close();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('hands snapshots and changes to the state and reports each up, not heartbeats or errors, and acknowledges the latest version once per burst', async () => {
    const { net, rec, conn } = setUp();
    await conn.open();
    const s = net.sockets[0]!;
    s.accept();
    s.deliver(snapshot(3));
    s.deliver({ type: 'heartbeat', version: 3 });
    s.deliver(changes(3, 5));
    s.deliver({ type: 'error', code: 'key_revoked', message: 'this SDK key was revoked' });
    expect(rec.got.map((m) => [m.type, m.version])).toEqual([['snapshot', 3], ['changes', 5]]);
    expect(rec.ups).toHaveLength(2); // each applied message is reported up
    expect(rec.heard).toHaveLength(4); // every message, heartbeats and errors too, is hearing from the server (the lease)
    expect(rec.warnings).toEqual(['server: key_revoked']);
    expect(s.sent).toHaveLength(1); // the hello: acks wait for the I/O already queued
    await afterQueuedIo();
    expect(s.sentJson().slice(1)).toEqual([{ type: 'ack', version: 5 }]);
    s.deliver(changes(5, 6));
    await afterQueuedIo();
    expect(s.sentJson().slice(1)).toEqual([{ type: 'ack', version: 5 }, { type: 'ack', version: 6 }]);
    conn.close();
  });

  it('drops the socket when the state finds a gap and opens a new one after the first backoff delay', async () => {
    const { net, rec, conn } = setUp();
    await conn.open();
    net.sockets[0]!.accept();
    rec.refuseNext();
    net.sockets[0]!.deliver(changes(9, 10));
    expect(rec.ups).toEqual([]);
    expect(net.sockets[0]!.terminated).toBe(true);
    expect(net.sockets[0]!.onmessage).toBeNull();
    expect(rec.downs).toEqual([false]);
    await vi.advanceTimersByTimeAsync(backoffDelay(0, () => 0) - 1);
    expect(net.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(net.sockets).toHaveLength(2);
    conn.close();
  });

  it('drops the socket and warns "bad message" on a frame that is not JSON', async () => {
    const { net, rec, conn } = setUp();
    await conn.open();
    net.sockets[0]!.accept();
    net.sockets[0]!.deliver('not json');
    expect(rec.warnings).toEqual(['bad message']);
    expect(rec.downs).toEqual([false]);
    expect(net.sockets[0]!.terminated).toBe(true);
    conn.close();
  });

  it("replaces a socket that hears nothing for twice the server's heartbeat interval plus a second", async () => {
    const { net, rec, conn } = setUp();
    await conn.open();
    const s = net.sockets[0]!;
    s.accept();
    s.deliver(snapshot(1, { heartbeatMs: 1000 }));
    await vi.advanceTimersByTimeAsync(2000);
    s.deliver({ type: 'heartbeat', version: 1 }); // heard: the watchdog counts from here
    await vi.advanceTimersByTimeAsync(2999);
    expect(rec.downs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(rec.warnings).toEqual(['no heartbeat']);
    expect(rec.downs).toEqual([false]);
    expect(s.terminated).toBe(true);
    conn.close();
  });

  it('reports a refused key (401 upgrade or close code 4401) as an auth failure and then waits the longest delay', async () => {
    const { net, rec, conn } = setUp();
    await conn.open();
    net.sockets[0]!.fail(1006, 'Unexpected server response: 401');
    expect(rec.downs).toEqual([true]);
    await vi.advanceTimersByTimeAsync(backoffDelay(30, () => 0) - 1);
    expect(net.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(net.sockets).toHaveLength(2);
    net.sockets[1]!.accept();
    net.sockets[1]!.fail(4401);
    expect(rec.downs).toEqual([true, true]);
    conn.close();
  });

  it('doubles the delay on each failure and starts over after a minute of health', async () => {
    const { net, conn } = setUp({ heartbeatTimeoutMs: 3_600_000 });
    await conn.open();
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = Date.now();
      net.sockets.at(-1)!.fail();
      await vi.advanceTimersToNextTimerAsync();
      waits.push(Date.now() - start);
    }
    expect(waits).toEqual([500, 1000, 2000]);
    net.sockets.at(-1)!.accept();
    net.sockets.at(-1)!.deliver(snapshot(1));
    await vi.advanceTimersByTimeAsync(60_000);
    const start = Date.now();
    net.sockets.at(-1)!.fail();
    await vi.advanceTimersToNextTimerAsync();
    expect(Date.now() - start).toBe(500);
    conn.close();
  });

  it('is live only while its socket is open and has delivered a state message', async () => {
    const { net, conn } = setUp();
    expect(conn.live()).toBeUndefined();
    await conn.open();
    const s = net.sockets[0]!;
    s.accept();
    expect(conn.live()).toBeUndefined();
    s.deliver(snapshot(1));
    expect(conn.live()).toBe(s);
    s.fail();
    expect(conn.live()).toBeUndefined();
    conn.close();
  });

  it('close() detaches the socket, leaves no timer and never reconnects or reports down', async () => {
    const { net, rec, conn } = setUp();
    await conn.open();
    const s = net.sockets[0]!;
    s.accept();
    s.deliver(snapshot(1));
    conn.close();
    expect(s.terminated).toBe(true);
    expect(s.onopen ?? s.onmessage ?? s.onclose).toBeNull();
    expect(rec.downs).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    await conn.open();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(net.sockets).toHaveLength(1);
  });

  it('given a list of replica URLs, reconnects to the next one in the list after each lost socket, wrapping around', async () => {
    const net = fakeSockets();
    const rec = recordingLink();
    const urls = ['http://a.test', 'http://b.test/', 'http://c.test'];
    const conn = createConnection({ url: urls, sdkKey: 'sy_sdk_k', WebSocket: net.WebSocket, random: () => 0 }, rec.state, rec.link);
    await conn.open();
    for (let i = 0; i < 4; i++) {
      net.sockets[i]!.accept();
      net.sockets[i]!.deliver(snapshot(i + 1));
      net.sockets[i]!.fail(1006);
      await vi.advanceTimersByTimeAsync(30_000);
    }
    expect(net.sockets.map((s) => s.url)).toEqual(['ws://a.test/sdk/stream', 'ws://b.test/sdk/stream', 'ws://c.test/sdk/stream', 'ws://a.test/sdk/stream', 'ws://b.test/sdk/stream']);
    // Each new socket resumes from the version held, wherever it lands.
    expect(net.sockets[4]!.url).toBe('ws://b.test/sdk/stream');
    net.sockets[4]!.accept();
    expect(net.sockets[4]!.sentJson()[0]).toMatchObject({ type: 'hello', version: 4 });
    conn.close();
  });

  it('reconnects to the next replica within a second (0.5-1 s, jittered; not at once) when the server closes with 1012 (draining), whatever the configured backoff', async () => {
    const net = fakeSockets();
    const rec = recordingLink();
    const reconnect = { initialMs: 120_000, maxMs: 120_000 };
    const conn = createConnection({ url: ['http://a.test', 'http://b.test'], sdkKey: 'sy_sdk_k', WebSocket: net.WebSocket, random: () => 0.25, reconnect }, rec.state, rec.link);
    await conn.open();
    net.sockets[0]!.accept();
    net.sockets[0]!.deliver(snapshot(3));
    net.sockets[0]!.fail(1012);
    expect(rec.downs).toEqual([false]);
    await vi.advanceTimersByTimeAsync(624);
    expect(net.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(net.sockets).toHaveLength(2);
    expect(net.sockets[1]!.url).toBe('ws://b.test/sdk/stream');
    // Any other close (1001 here) waits the backoff as before, counted on from the 1012.
    net.sockets[1]!.accept();
    net.sockets[1]!.deliver(snapshot(3));
    net.sockets[1]!.fail(1001);
    await vi.advanceTimersByTimeAsync(backoffDelay(1, () => 0.25, reconnect) - 1);
    expect(net.sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(net.sockets).toHaveLength(3);
    conn.close();
  });

  it('backs off on every close code, 1012 included: a server that closes each socket with 1012 gets a doubling, jittered wait, not a hot loop', async () => {
    for (const code of [1012, 1000, 1001, 1006, 1008, 1009, 1011, 1013, 4000]) {
      const jitter = [0.9, 0.1, 0.5];
      let n = 0;
      const net = fakeSockets();
      const rec = recordingLink();
      const conn = createConnection({ url: 'http://a.test', sdkKey: 'sy_sdk_k', WebSocket: net.WebSocket, random: () => jitter[n++ % 3]!, heartbeatTimeoutMs: 3_600_000 }, rec.state, rec.link);
      await conn.open();
      const waits: number[] = [];
      for (let i = 0; i < 6; i++) {
        const s = net.sockets.at(-1)!;
        s.accept();
        s.deliver(snapshot(1));
        const start = Date.now();
        s.fail(code);
        await vi.advanceTimersToNextTimerAsync();
        waits.push(Date.now() - start);
      }
      expect(waits, `close ${code}`).toEqual(waits.map((_, i) => backoffDelay(i, () => jitter[i % 3]!)));
      // Ten seconds of a server closing every socket at once: a handful of sockets, not thousands.
      const before = net.sockets.length;
      for (let t = 0; t < 10_000; t += 100) {
        net.sockets.at(-1)!.fail(code);
        await vi.advanceTimersByTimeAsync(100);
      }
      expect(net.sockets.length - before, `close ${code}`).toBeLessThanOrEqual(2);
      conn.close();
    }
  });

  it('refuses a message longer than maxMessageBytes before parsing it: keeps what it holds, warns "too large", backs off', async () => {
    const net = fakeSockets();
    const rec = recordingLink();
    const conn = createConnection({ url: 'http://a.test', sdkKey: 'sy_sdk_k', WebSocket: net.WebSocket, random: () => 0, maxMessageBytes: 1000 }, rec.state, rec.link);
    await conn.open();
    const s = net.sockets[0]!;
    expect(s.options).toEqual({ headers: { authorization: 'Bearer sy_sdk_k' }, maxPayload: 1000 });
    s.accept();
    s.deliver(snapshot(2, { flags: [] }));
    expect(rec.got).toHaveLength(1);
    const big = JSON.stringify(snapshot(3, { flags: [{ key: 'f', version: 3, on: 'x'.repeat(1000), off: false } as never] }));
    s.deliver(big);
    expect(rec.got).toHaveLength(1); // never handed to the state: the last-known values stay
    expect(rec.warnings).toEqual(['too large']);
    expect(rec.downs).toEqual([false]);
    expect(s.terminated).toBe(true);
    await vi.advanceTimersByTimeAsync(backoffDelay(0, () => 0) - 1);
    expect(net.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(net.sockets).toHaveLength(2);
    // ws refuses a frame over maxPayload itself, before reading it: the same warning.
    net.sockets[1]!.accept();
    net.sockets[1]!.fail(1006, 'Max payload size exceeded');
    expect(rec.warnings).toEqual(['too large', 'too large']);
    conn.close();
  });

  it('refuses messages over 8 MiB by default', async () => {
    const net = fakeSockets();
    const rec = recordingLink();
    const conn = createConnection({ url: 'http://a.test', sdkKey: 'sy_sdk_k', WebSocket: net.WebSocket, random: () => 0 }, rec.state, rec.link);
    await conn.open();
    const s = net.sockets[0]!;
    expect(s.options?.maxPayload).toBe(8 * 1024 * 1024);
    s.accept();
    const pad = ' '.repeat(8 * 1024 * 1024 - JSON.stringify(snapshot(1)).length);
    s.deliver(JSON.stringify(snapshot(1)) + pad); // exactly the limit: taken
    expect(rec.got).toHaveLength(1);
    s.deliver(JSON.stringify(snapshot(2)) + pad + ' '); // one over: refused
    expect(rec.got).toHaveLength(1);
    expect(rec.warnings).toEqual(['too large']);
    conn.close();
  });

});
