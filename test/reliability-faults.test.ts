import fs from 'node:fs';
import net from 'node:net';
import SQLite from 'better-sqlite3';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@switchyard-flags/sdk';
import { snapshotId } from '../server/rollout/plan-store.js';
import { snapshotOf } from '../server/rollout/signoff-evidence.js';
import { TIMEOUT, figure, size, summary } from './helpers/reliability-figures.js';
import { bootServer, spawnWorker, type ServerProc } from './helpers/reliability-proc.js';
import { dbState } from './helpers/reliability-state.js';
import { FLOOD_WORKER } from './helpers/reliability-workers.js';
import { issueSdkKey, sdkPeer, wsUrl } from './helpers/push-client.js';
import { createFlag, startTestServer, tempDataDir, type TestServer } from './helpers/server.js';
import { webhookServer, type Hook } from './rollout-fixtures.js';

describe('dead peers', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ config: { heartbeatMs: 40 } });
  });
  afterAll(() => ts.close());

  it('a peer that stops answering pings is reaped from both streams; a healthy one beside it stays', async () => {
    const { key } = await issueSdkKey(ts);
    const healthy = sdkPeer(ts, key);
    // Healthy as an SDK is: it acknowledges what it was sent (else ACK_TIMEOUT_MS closes it, which
    // on a loaded machine could come before the last heartbeat this test waits for).
    const snapshot = await healthy.next((m) => m.type === 'snapshot');
    healthy.send({ type: 'ack', version: snapshot.version });
    // `autoPong: false`: the socket is open, but the peer behind it is dead.
    const deadSdk = new WebSocket(wsUrl(ts.url), { headers: { authorization: `Bearer ${key}` }, autoPong: false });
    deadSdk.on('open', () => deadSdk.send(JSON.stringify({ type: 'hello', protocol: 1, version: 0 })));
    const deadAdmin = new WebSocket(wsUrl(ts.url, '/api/stream'), { headers: { authorization: `Bearer ${await ts.token('viewer')}` }, autoPong: false });
    const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const [sdkCode, adminCode] = await Promise.all([closed(deadSdk), closed(deadAdmin)]);
    expect(sdkCode).toBe(1006);
    expect(adminCode).toBe(1006);
    // The client saw the TCP close; the server's own close handler runs a moment later.
    for (let i = 0; i < 200 && (ts.running.push.sdk.size > 1 || ts.running.push.admin.size > 0); i++) await new Promise((r) => setTimeout(r, 5));
    expect(ts.running.push.sdk.size).toBe(1);
    expect(ts.running.push.admin.size).toBe(0);
    // The healthy peer keeps getting heartbeats after the reaping.
    const beats = healthy.messages.filter((m) => m.type === 'heartbeat').length;
    await healthy.next((m) => m.type === 'heartbeat' && healthy.messages.filter((x) => x.type === 'heartbeat').length > beats);
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    healthy.ws.close();
  });
});

describe('the database refuses writes', () => {
  let ts: TestServer;
  let key: string;
  beforeAll(async () => {
    ts = await startTestServer();
    key = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'locked-target', { tags: ['lk'] });
    await ts.api('PUT', '/api/flags/locked-target/plan', { token: await ts.token('pm', 'pm-author'), body: {} });
  });
  afterAll(() => ts.close());

  const WRITES: Array<[string, string, string, unknown, Parameters<TestServer['token']>[0]]> = [
    ['create', 'POST', '/api/flags', { key: 'while-locked', owner: 'o' }, 'engineer'],
    ['edit', 'PATCH', '/api/flags/locked-target', { version: 2, description: 'x' }, 'engineer'],
    ['kill', 'POST', '/api/flags/locked-target/kill', { reason: 'incident' }, 'oncall'],
    ['bulk kill', 'POST', '/api/kill', { tag: 'lk', reason: 'incident' }, 'oncall'],
    ['plan edit', 'PUT', '/api/flags/locked-target/plan', { stages: [{ percent: 1 }, { percent: 100 }] }, 'pm'],
    ['sign-off', 'POST', '/api/flags/locked-target/signoffs', { comment: 'ok', snapshotId: snapshotId(snapshotOf(1, [])) }, 'pm'],
    ['metrics', 'POST', '/api/metrics', { flag: 'locked-target', metric: 'error_rate', value: 0 }, 'metrics'],
    ['new SDK key', 'POST', '/api/sdk-keys', { name: 'svc' }, 'admin'],
  ];

  it('locked by another connection (BEGIN EXCLUSIVE): every write gets a clear 503 after busy_timeout, reads keep working, nothing is half-written', async () => {
    const sqlite = ts.running.storage.sqlite!;
    sqlite.pragma('busy_timeout = 250'); // 5 s in production; shorter here so the test is quick
    const peer = sdkPeer(ts, key);
    await peer.next((m) => m.type === 'snapshot');
    const other = new SQLite(ts.running.config.dbFile);
    other.exec('BEGIN EXCLUSIVE');
    const before = await dbState(ts);
    const waits: number[] = [];
    try {
      for (const [what, method, p, body, role] of WRITES) {
        const t0 = performance.now();
        const res = await ts.api(method, p, { as: role, body });
        waits.push(performance.now() - t0);
        expect(res.status, `${what}: ${res.text}`).toBe(503);
        expect(res.body.error).toMatchObject({ code: 'unavailable', message: expect.stringContaining('nothing was changed') });
      }
      expect((await ts.api('GET', '/api/flags/locked-target', { as: 'viewer' })).status).toBe(200);
      expect((await fetch(`${ts.url}/sdk/flags`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      expect((await fetch(`${ts.url}/healthz`)).status).toBe(200);
      expect(await dbState(ts)).toBe(before);
    } finally {
      other.exec('ROLLBACK');
      other.close();
      sqlite.pragma('busy_timeout = 5000');
    }
    figure('faults: time to a 503 with the database locked (busy_timeout 250 ms)', summary(waits));
    expect(peer.messages.filter((m) => m.type === 'changes')).toEqual([]);
    // Once the lock is gone the same kill works, and reaches the SDK.
    expect((await ts.api('POST', '/api/flags/locked-target/kill', { as: 'oncall', body: { reason: 'incident' } })).status).toBe(200);
    await peer.next((m) => m.type === 'changes' && m.flags.some((f: any) => f.key === 'locked-target' && f.killed));
    expect((await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.ok).toBe(true);
    peer.ws.close();
  });

  it('a full disk (max_page_count reached) gives 503 for the writes that do not fit; every acknowledged one is there, every refused one is not', async () => {
    const sqlite = ts.running.storage.sqlite!;
    const auditBefore = (sqlite.prepare('select count(*) as n from audit').get() as { n: number }).n;
    // A few pages of room left: some writes fit, then the "disk" is full.
    sqlite.pragma(`max_page_count = ${Number(sqlite.pragma('page_count', { simple: true })) + 4}`);
    const acked: string[] = [];
    const refused: string[] = [];
    try {
      for (let i = 0; i < 300 && refused.length < 5; i++) {
        const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: `full-${i}`, owner: 'o', description: 'x'.repeat(2000) } });
        expect([201, 503], res.text).toContain(res.status);
        (res.status === 201 ? acked : refused).push(`full-${i}`);
      }
      const kill = await ts.api('POST', '/api/kill', { as: 'oncall', body: { all: true, reason: 'disk full drill' } });
      expect([200, 503]).toContain(kill.status);
      if (kill.status === 503) expect((sqlite.prepare('select count(*) as n from flags where killed = 1').get() as { n: number }).n).toBe(1);
    } finally {
      sqlite.pragma('max_page_count = 1073741823');
    }
    expect(refused.length).toBeGreaterThan(0);
    const keys = new Set((sqlite.prepare('select key from flags').all() as Array<{ key: string }>).map((r) => r.key));
    for (const k of acked) expect(keys.has(k), k).toBe(true);
    for (const k of refused) expect(keys.has(k), k).toBe(false);
    const audit = sqlite.prepare("select flag from audit where action = 'flag.create' and flag like 'full-%'").all() as Array<{ flag: string }>;
    expect(audit.map((a) => a.flag).sort()).toEqual([...acked].sort());
    expect((sqlite.prepare('select count(*) as n from audit').get() as { n: number }).n).toBeGreaterThanOrEqual(auditBefore + acked.length);
    expect((await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.ok).toBe(true);
    // Space again: writes work.
    expect((await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'after-full', owner: 'o' } })).status).toBe(201);
    figure('faults: disk-full drill', { acknowledged: acked.length, refused503: refused.length });
  });
});

describe('nothing delays a kill', () => {
  let server: ServerProc;
  let hanging: Hook;
  let failing: Hook;
  const dataDir = tempDataDir();
  const clients: Client[] = [];
  const hung: net.Socket[] = [];
  const VICTIMS = size(10, 100);

  beforeAll(async () => {
    hanging = await webhookServer({ hang: true });
    failing = await webhookServer({ status: 500 });
    // The receivers are on loopback; the flood is the point here: no per-token sample limit in its way (the limit has its own test, metrics-history).
    server = await bootServer(dataDir, { WEBHOOK_URL: hanging.url, WEBHOOK_ALLOW: '127.0.0.1', METRICS_RATE_LIMIT: '100000000' });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of hung) s.destroy();
    await server.stop('SIGTERM');
    await hanging.close();
    await failing.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a hanging and a failing webhook, hung metric reporters and a flood of samples: every kill lands and reaches every SDK', async () => {
    const eng = await server.token('engineer');
    const pm = await server.token('pm', 'pm-author');
    const oncall = await server.token('oncall');
    const flood = ['flood-a', 'flood-b', 'flood-c', 'flood-d'];
    for (const k of flood) {
      expect((await server.api('POST', '/api/flags', eng, { key: k, owner: 'o' })).status).toBe(201);
      // A guardrail on the flooded metric: every sample is judged, none breaches.
      await server.api('PUT', `/api/flags/${k}/plan`, pm, { webhookUrl: failing.url, stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.5, guardrail: true }] }, { percent: 100 }] });
      const seen = (await server.api('GET', `/api/flags/${k}/gates`, pm)).body.snapshotId;
      await server.api('POST', `/api/flags/${k}/signoffs`, await server.token('pm', 'pm-bob'), { comment: 'ok', snapshotId: seen });
      await server.api('POST', `/api/metrics`, eng, { flag: k, metric: 'error_rate', count: 30, mean: 0.001, stddev: 0 });
      expect((await server.api('POST', `/api/flags/${k}/advance`, await server.token('pm', 'pm-bob'), { reason: 'go' })).status).toBe(200);
    }
    const victims = Array.from({ length: VICTIMS }, (_, i) => `victim-${i}`);
    for (const k of victims) {
      expect((await server.api('POST', '/api/flags', eng, { key: k, owner: 'o' })).status).toBe(201);
      expect((await server.api('PUT', `/api/flags/${k}/plan`, pm, { webhookUrl: failing.url })).status).toBe(200);
    }
    const sdkKey = (await server.api('POST', '/api/sdk-keys', await server.token('admin'), { name: 'apps' })).body.key;
    for (let i = 0; i < 3; i++) clients.push(createClient({ url: server.url, sdkKey }));
    expect(await Promise.all(clients.map((c) => c.ready()))).toEqual([true, true, true]);

    const killAll = async (round: string): Promise<number[]> => {
      const ms: number[] = [];
      for (const k of victims) {
        const t0 = performance.now();
        const res = await server.api('POST', `/api/flags/${k}/kill`, oncall, { reason: `${round} drill`, waitMs: 5000 });
        ms.push(performance.now() - t0);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body).toMatchObject({ killed: true, changed: true, propagation: { connected: 3, applied: 3, pending: 0 } });
        for (const c of clients) expect(c.evaluate(k, { key: 'u' }).reason).toBe('KILLED');
      }
      for (const k of victims) expect((await server.api('POST', `/api/flags/${k}/restore`, oncall, { reason: `${round} over` })).status).toBe(200);
      return ms;
    };

    const quiet = await killAll('quiet');

    // Twenty reporters that send headers and half a body, then hang.
    for (let i = 0; i < 20; i++) {
      const s = net.connect(server.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(`POST /api/metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${eng}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"samples":[`);
      hung.push(s);
    }
    const worker = spawnWorker(FLOOD_WORKER, { URL: server.url, TOKEN: eng, FLAGS: flood.join(','), BATCH: '500', CONCURRENCY: String(size(3, 6)) });
    try {
      await worker.next((l) => l.t === 'flood' && l.ok >= 4);
      const during = await killAll('flood');
      worker.send({ cmd: 'stop' });
      const done = await worker.next((l) => l.t === 'done');
      const last = worker.lines.filter((l) => l.t === 'flood').at(-1);
      expect(last.bad).toBe(0);
      figure('faults: kill latency to every SDK acknowledging (waitMs), quiet server', summary(quiet));
      figure('faults: kill latency to every SDK acknowledging, during a metric flood + 20 hung reporters + hanging/failing webhooks', summary(during));
      figure('faults: samples ingested during the flood', { samples: last.samples, batches: last.ok, statuses: last.statuses });
      expect(done).toBeTruthy();
    } finally {
      await worker.kill();
    }
    // The hanging receiver got the kill notices it never answers; the failing one its 500s.
    expect(hanging.received.filter((n) => n.event === 'flag.kill').length).toBeGreaterThanOrEqual(VICTIMS);
    expect(failing.received.filter((n) => n.event === 'flag.kill').length).toBeGreaterThanOrEqual(VICTIMS);
    expect((await server.api('GET', '/api/audit/verify', oncall)).body.ok).toBe(true);
    expect((await server.api('GET', '/api/flags/flood-a', oncall)).body).toMatchObject({ paused: false, killed: false, stage: 1 });
  }, TIMEOUT);
});
