import net from 'node:net';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TELEMETRY_COUNTS, MAX_TELEMETRY_REACH } from '@switchyard-flags/sdk/protocol';
import { TIMEOUT, figure, size } from './helpers/reliability-figures.js';
import { hostileKey } from './helpers/reliability-fuzz.js';
import { issueSdkKey, rawPeer, sdkPeer, wsUrl, type RawPeer } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

const SEED = 20261125;
let ts: TestServer;
let key: string;
let adminToken: string;
let observer: RawPeer;
let adminObserver: RawPeer;
let cases = 0;

beforeAll(async () => {
  // Heartbeats and the acknowledgement deadline far apart: nothing but the frames under test closes
  // a connection (the observers are raw peers that never acknowledge; on a loaded machine the fuzz
  // outlasts the default ACK_TIMEOUT_MS of 10 s, and the observer was closed as unresponsive).
  ts = await startTestServer({ config: { heartbeatMs: 600_000, ackTimeoutMs: 600_000 } });
  key = (await issueSdkKey(ts)).key;
  adminToken = await ts.token('viewer');
  for (const k of ['watched', 'other-1', 'other-2']) await createFlag(ts, k);
  observer = sdkPeer(ts, key);
  await observer.next((m) => m.type === 'snapshot');
  adminObserver = rawPeer(wsUrl(ts.url, '/api/stream'), { headers: { authorization: `Bearer ${adminToken}` } });
  await adminObserver.next((m) => m.type === 'hello');
});
afterAll(async () => {
  figure('fuzz: websocket cases tried', cases);
  observer.ws.close();
  adminObserver.ws.close();
  await ts.close();
});

/** One frame as sent: JSON text, raw text, binary, invalid UTF-8 in a text frame, or over the 64 KiB limit. */
type Frame = { kind: 'json'; msg: object } | { kind: 'text'; text: string } | { kind: 'binary'; bytes: Uint8Array } | { kind: 'bad-utf8' } | { kind: 'big'; n: number };

function withExtras(arb: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Frame> {
  return fc.tuple(arb, fc.dictionary(hostileKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 })).map(([m, extra]) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of [...Object.entries(extra), ...Object.entries(m)]) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return { kind: 'json', msg: o };
  });
}

const versionArb = fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 40 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, '3', null, 2 ** 53, 1e21, true, [], {}) });
const hello = withExtras(
  fc.record(
    {
      type: fc.constant('hello'),
      protocol: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(2, 0, '1', null, 1.5) }),
      version: versionArb,
      sdk: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('x'.repeat(101), 5, null)),
    },
    { requiredKeys: ['type'] },
  ),
);
const ack = withExtras(fc.record({ type: fc.constant('ack'), version: versionArb }, { requiredKeys: ['type'] }));
const countEntry = fc.oneof(
  { weight: 4, arbitrary: fc.record({ key: fc.constantFrom('watched', 'no-such-flag', 'a.b_c-1'), stage: fc.nat({ max: 20 }), on: fc.nat(), off: fc.nat(), fallback: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ key: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(5)), stage: versionArb, on: versionArb, off: fc.constantFrom(0, -1), fallback: fc.constant(0) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);
const hexByte = (max: number) => fc.integer({ min: 0, max }).map((b) => b.toString(16).padStart(2, '0'));
const regsArb = fc.oneof(
  { weight: 4, arbitrary: fc.array(hexByte(25), { minLength: 64, maxLength: 64 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.oneof(fc.array(hexByte(255), { minLength: 64, maxLength: 64 }).map((a) => a.join('')), fc.constantFrom('00'.repeat(63), '00'.repeat(65), 'AB'.repeat(64), 'zz'.repeat(64), 7, null)) },
);
const reachEntry = fc.oneof(
  { weight: 4, arbitrary: fc.record({ key: fc.constantFrom('watched', 'no-such-flag'), stage: fc.nat({ max: 20 }), regs: regsArb }) },
  { weight: 1, arbitrary: fc.record({ key: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(5)), stage: versionArb, regs: regsArb }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);
const telemetry = withExtras(
  fc.record(
    {
      type: fc.constant('telemetry'),
      counts: fc.oneof({ weight: 4, arbitrary: fc.array(countEntry, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
      reach: fc.oneof({ weight: 4, arbitrary: fc.array(reachEntry, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
    },
    { requiredKeys: ['type'] },
  ),
);
const otherType = withExtras(
  fc.record({ type: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null), fc.constantFrom('HELLO', 'subscribe', 'snapshot', 'changes', 'error', 'heartbeat', '__proto__', 'constructor')) }, { requiredKeys: [] }),
);
const notObject: fc.Arbitrary<Frame> = fc.oneof(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), fc.string(), fc.integer(), fc.constant(null)).map((v) => ({ kind: 'text', text: JSON.stringify(v) }));
const notJson: fc.Arbitrary<Frame> = fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }).map((text) => ({ kind: 'text', text }));
const binary: fc.Arbitrary<Frame> = fc.uint8Array({ maxLength: 30 }).map((bytes) => ({ kind: 'binary', bytes }));
const oddFrame: fc.Arbitrary<Frame> = fc.oneof(fc.constant<Frame>({ kind: 'bad-utf8' }), fc.integer({ min: 64 * 1024 + 1, max: 80_000 }).map((n): Frame => ({ kind: 'big', n })));

const sdkFrame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 6, arbitrary: hello },
  { weight: 5, arbitrary: ack },
  { weight: 3, arbitrary: telemetry },
  { weight: 2, arbitrary: otherType },
  { weight: 1, arbitrary: notObject },
  { weight: 1, arbitrary: notJson },
  { weight: 1, arbitrary: binary },
  { weight: 1, arbitrary: oddFrame },
);

function sendFrame(ws: WebSocket, f: Frame): void {
  if (f.kind === 'json') ws.send(JSON.stringify(f.msg));
  else if (f.kind === 'text') ws.send(f.text);
  else if (f.kind === 'binary') ws.send(f.bytes, { binary: true });
  else if (f.kind === 'bad-utf8') ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
  else ws.send(JSON.stringify({ type: 'telemetry', pad: 'x'.repeat(f.n) }));
}

const isVersion = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isCount = (e: any) =>
  typeof e === 'object' && e !== null && !Array.isArray(e) && typeof e.key === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(e.key) &&
  isVersion(e.stage) && e.stage <= 1000 && isVersion(e.on) && isVersion(e.off) && isVersion(e.fallback);

const isReach = (e: any) =>
  typeof e === 'object' && e !== null && !Array.isArray(e) && typeof e.key === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(e.key) &&
  isVersion(e.stage) && e.stage <= 1000 && typeof e.regs === 'string' && /^[0-9a-f]{128}$/.test(e.regs) &&
  (e.regs.match(/../g) as string[]).every((b) => parseInt(b, 16) <= 25);
const reachOk = (r: unknown) => r === undefined || (Array.isArray(r) && r.length <= MAX_TELEMETRY_REACH && r.every(isReach));

/** What docs/protocol.md says the server does with this sequence: stay open, or close with which code. */
function expected(frames: Frame[], serverVersion: number): { close: number | null; live: boolean } {
  let live = false;
  for (const f of frames) {
    if (f.kind === 'big') return { close: 1009, live };
    if (f.kind === 'bad-utf8') return { close: 1007, live };
    if (f.kind === 'binary') return { close: 4400, live };
    let m: any;
    try {
      m = JSON.parse(f.kind === 'json' ? JSON.stringify(f.msg) : f.text);
    } catch {
      return { close: 4400, live };
    }
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return { close: 4400, live };
    if (m.type === 'hello') {
      if (m.protocol !== 1 || (m.sdk !== undefined && (typeof m.sdk !== 'string' || m.sdk.length > 100)) || !isVersion(m.version) || live) return { close: 4400, live };
      live = true;
    } else if (m.type === 'ack') {
      if (!isVersion(m.version) || !live || m.version > serverVersion) return { close: 4400, live };
    } else if (m.type === 'telemetry') {
      if (!Array.isArray(m.counts) || m.counts.length > MAX_TELEMETRY_COUNTS || !m.counts.every(isCount) || !reachOk(m.reach) || !live) return { close: 4400, live };
    } else return { close: 4400, live };
  }
  return { close: null, live };
}

/** Sends the frames, then a ping: the pong (or the close) comes after the server handled every frame. */
async function exchange(p: RawPeer, frames: Frame[]): Promise<{ code: number | null }> {
  await new Promise<void>((resolve, reject) => {
    p.ws.once('open', resolve);
    p.ws.once('error', reject);
  });
  for (const f of frames) sendFrame(p.ws, f);
  p.ws.ping();
  const outcome = await Promise.race([p.closed.then((c) => c.code), new Promise<null>((resolve) => p.ws.once('pong', () => resolve(null)))]);
  return { code: outcome };
}

const show = (frames: Frame[]) => JSON.stringify(frames.map((f) => (f.kind === 'big' ? { big: f.n } : f.kind === 'binary' ? { binary: [...f.bytes] } : f))).slice(0, 600);

describe('the SDK stream under fuzzing', () => {
  it('every sequence of frames is served or closed exactly as the protocol says, with an error message before a 4400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sdkFrame, { minLength: 1, maxLength: 5 }), async (frames) => {
        cases++;
        const want = expected(frames, ts.running.services.push.feed.version);
        const p = rawPeer(wsUrl(ts.url), { headers: { authorization: `Bearer ${key}` } });
        const { code } = await exchange(p, frames);
        const label = `${show(frames)} -> ${code} ${JSON.stringify(p.messages).slice(0, 300)}`;
        expect(code, label).toBe(want.close);
        if (want.live) expect(['snapshot', 'changes'], label).toContain(p.messages[0]?.type);
        if (code === 4400) expect(p.messages.at(-1), label).toMatchObject({ type: 'error', code: expect.stringMatching(/^[a-z_]+$/) });
        p.ws.terminate();
      }),
      { numRuns: size(600, 6000), seed: SEED },
    );
  }, TIMEOUT);
});

describe('the admin stream under fuzzing', () => {
  const anyFrame: fc.Arbitrary<Frame> = fc.oneof(sdkFrame, notJson, binary, fc.constant<Frame>({ kind: 'bad-utf8' }));

  it('ignores whatever the UI sends, closing only on invalid UTF-8 (1007) or an oversized frame (1009)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyFrame, { minLength: 1, maxLength: 4 }), async (frames) => {
        cases++;
        const p = rawPeer(wsUrl(ts.url, '/api/stream'), { headers: { authorization: `Bearer ${adminToken}` } });
        const { code } = await exchange(p, frames);
        const first = frames.find((f) => f.kind === 'big' || f.kind === 'bad-utf8');
        expect(code, show(frames)).toBe(first === undefined ? null : first.kind === 'big' ? 1009 : 1007);
        p.ws.terminate();
      }),
      { numRuns: size(200, 2000), seed: SEED + 1 },
    );
  }, TIMEOUT);
});

/** A raw HTTP upgrade request with arbitrary header bytes; resolves with the status code the server answered. */
function rawUpgrade(port: number, path: string, headers: Array<[string, string]>): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', ...headers.map(([k, v]) => `${k}: ${v}`)];
    s.on('connect', () => s.write(lines.join('\r\n') + '\r\n\r\n', 'latin1'));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (m) {
        resolve(Number(m[1]));
        s.destroy();
      }
    });
    s.on('error', () => resolve(0));
    s.on('close', () => resolve(/^HTTP\/1\.1 (\d{3})/.test(buf) ? Number(/^HTTP\/1\.1 (\d{3})/.exec(buf)![1]) : -1));
  });
}

describe('the websocket upgrade under fuzzing', () => {
  it('random paths, credentials, subprotocols and origins get an HTTP answer below 500 (or a closed connection), never a 5xx', async () => {
    const header = fc.oneof(
      fc.tuple(fc.constant('Authorization'), fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('Bearer ', 'Bearer sy_sdk_', `Bearer ${'a'.repeat(4000)}`, 'Basic Zm9vOmJhcg==', 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.e30.'))),
      fc.tuple(fc.constant('Sec-WebSocket-Protocol'), fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('switchyard.v1, sdk-key.', 'switchyard.admin.v1, bearer.', 'switchyard.v1,,,', ',', 'sdk-key.sy_sdk_x, sdk-key.sy_sdk_y'))),
      fc.tuple(fc.constant('Origin'), fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('null', 'http://127.0.0.1', 'https://evil.example', 'file://'))),
      fc.tuple(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }).filter((k) => /^[A-Za-z-]+$/.test(k)), fc.string({ maxLength: 20 })),
    );
    const path = fc.oneof(fc.constantFrom('/sdk/stream', '/api/stream', '/sdk/stream?key=sy_sdk_x', '/api/stream/../stream', '//sdk/stream', '/sdk/stream#x', '/SDK/STREAM'), fc.webPath());
    await fc.assert(
      fc.asyncProperty(path, fc.array(header, { maxLength: 4 }), async (p, headers) => {
        cases++;
        const clean = headers.map(([k, v]) => [k, v.replace(/[\r\n]/g, ' ')] as [string, string]);
        const status = await rawUpgrade(ts.running.port, p.startsWith('/') ? p : `/${p}`, clean);
        expect(status, `${p} ${JSON.stringify(clean).slice(0, 300)}`).not.toBeGreaterThanOrEqual(500);
        expect(status, `${p} ${JSON.stringify(clean).slice(0, 300)}`).not.toBe(101);
      }),
      { numRuns: size(400, 4000), seed: SEED + 2 },
    );
  }, TIMEOUT);
});

describe('regressions found by fuzzing', () => {
  it('an upgrade to an unparseable request target gets a 404 instead of an unhandled rejection that would take the server down (seed 20261127)', async () => {
    for (const target of ['////:/U/.//0//', '//:', '///:0']) {
      expect(await rawUpgrade(ts.running.port, target, [['Authorization', `Bearer ${key}`]]), target).toBe(404);
    }
    expect((await fetch(`${ts.url}/healthz`)).status).toBe(200);
  });
});

describe('after all the fuzzing', () => {
  it('the server is up, and the connections that behaved were never disturbed: a kill reaches both streams', async () => {
    expect((await fetch(`${ts.url}/healthz`)).status).toBe(200);
    expect(observer.ws.readyState).toBe(WebSocket.OPEN);
    expect(adminObserver.ws.readyState).toBe(WebSocket.OPEN);
    const res = await ts.api('POST', '/api/flags/watched/kill', { as: 'oncall', body: { reason: 'after the fuzz' } });
    expect(res.status).toBe(200);
    await observer.next((m) => m.type === 'changes' && m.flags.some((f: any) => f.key === 'watched' && f.killed));
    await adminObserver.next((m) => m.type === 'flag' && m.flag.key === 'watched' && m.flag.killed);
  });
});
