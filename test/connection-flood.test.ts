import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSdkKey, sdkPeer, upgradeStatus, wsUrl, type RawPeer } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

/** A kill over a brand-new TCP connection (no pooled socket), as on-call's curl would make it. */
function freshKill(ts: TestServer, token: string, flag: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ reason: 'flood drill' });
    const req = http.request(`${ts.url}/api/flags/${flag}/kill`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens `n` sockets and waits until each is connected; `onOpen` decides what (if anything) it sends. */
async function openSockets(url: string, n: number, onOpen: (s: net.Socket, i: number) => void): Promise<net.Socket[]> {
  const { hostname, port } = new URL(url);
  const sockets: net.Socket[] = [];
  for (let batch = 0; batch < n; batch += 250) {
    await Promise.all(
      Array.from({ length: Math.min(250, n - batch) }, (_, j) =>
        new Promise<void>((resolve) => {
          const s = net.connect(Number(port), hostname);
          s.on('error', () => {});
          s.resume(); // read (and drop) whatever the server answers, as a real client would
          s.once('connect', () => {
            onOpen(s, batch + j);
            resolve();
          });
          s.once('close', () => resolve());
          sockets.push(s);
        }),
      ),
    );
  }
  return sockets;
}

describe('a flood of idle and slow connections', () => {
  let ts: TestServer;
  let peers: RawPeer[] = [];
  const flood: net.Socket[] = [];
  beforeAll(async () => {
    ts = await startTestServer({ config: { maxConnections: 1000, maxPendingUpgrades: 50 } });
  });
  afterAll(async () => {
    for (const s of flood) s.destroy();
    for (const p of peers) p.ws.close();
    await ts.close();
  });

  it('2,500 idle, header-trickling and body-trickling sockets over a 1,000 cap: a kill from a fresh connection still lands and every SDK receives it', async () => {
    await createFlag(ts, 'flood-target');
    const { key } = await issueSdkKey(ts);
    peers = Array.from({ length: 5 }, () => sdkPeer(ts, key));
    await Promise.all(peers.map((p) => p.next((m) => m.type === 'snapshot')));
    const token = await ts.token('oncall', 'night-shift');

    // 1,000 that never send a byte, 1,000 that send half a request line, 500 that send headers and trickle a body.
    flood.push(...(await openSockets(ts.url, 1000, () => {})));
    flood.push(...(await openSockets(ts.url, 1000, (s) => s.write('GET /api/flags HTTP/1.1\r\nHost: x\r\nX-Slow: '))));
    const bodies = await openSockets(ts.url, 500, (s) => {
      s.write('POST /api/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 524288\r\n\r\n{"samples":[');
    });
    flood.push(...bodies);
    // The body tricklers hold nothing: each is answered 401 without its body being read and
    // closed (or evicted) by the server, long before any timeout.
    await Promise.all(bodies.map((s) => (s.closed ? undefined : new Promise((r) => s.once('close', r)))));
    const open = () => flood.filter((s) => !s.destroyed && !s.closed).length;

    const kill = await freshKill(ts, token, 'flood-target');
    expect(kill.status).toBe(200);
    expect(kill.body).toMatchObject({ key: 'flood-target', killed: true });
    for (const p of peers) await p.next((m) => m.type === 'changes' && m.flags.some((f: any) => f.key === 'flood-target' && f.killed));

    // The cap held: the server keeps at most 1,000 sockets (the SDK streams among them, untouched);
    // the rest of the flood was closed by the server.
    expect(peers.every((p) => p.ws.readyState === p.ws.OPEN)).toBe(true);
    const metrics = (await ts.api('GET', '/metrics', { as: 'viewer' })).text;
    expect(Number(/^switchyard_http_connections (\d+)/m.exec(metrics)?.[1])).toBeLessThanOrEqual(1000);
    expect(Number(/^switchyard_http_connections_evicted_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1000);
    expect(open()).toBeLessThan(2500);
  });

  it('websocket upgrades past MAX_PENDING_UPGRADES are refused with 503 and Retry-After before their credential is checked, and a valid SDK connects once they are gone', async () => {
    // An identity provider whose JWKS endpoint never answers: a token it would sign keeps its
    // upgrade in authentication (for jose's 5 s fetch timeout), so "pending" does not depend on
    // how fast this machine happens to be.
    const hung: http.ServerResponse[] = [];
    const idp = http.createServer((_req, res) => void hung.push(res));
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', () => resolve()));
    const jwksUrl = `http://127.0.0.1:${(idp.address() as net.AddressInfo).port}/jwks.json`;
    const small = await startTestServer({ config: { maxPendingUpgrades: 1, jwksUrl, jwtIssuer: 'https://idp.example' } });
    const sockets: net.Socket[] = [];
    try {
      const { hostname, port } = new URL(small.url);
      const { key } = await issueSdkKey(small, 'later');
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const idpToken = `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ sub: 'x', iss: 'https://idp.example' })}.c2ln`;
      const head = `GET /api/stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${idpToken}\r\n\r\n`;
      const upgrade = () =>
        new Promise<{ socket: net.Socket; answer: Promise<string> }>((resolve) => {
          const socket = net.connect(Number(port), hostname, () => socket.write(head));
          sockets.push(socket);
          const answer = new Promise<string>((done) => {
            let got = '';
            socket.on('data', (d) => {
              got += d;
              if (got.includes('\r\n\r\n')) done(got);
            });
            socket.on('error', () => done(got));
            socket.on('close', () => done(got));
          });
          resolve({ socket, answer });
        });
      // One upgrade waits on the identity provider: once the server has asked it for its keys,
      // that upgrade is in authentication, filling the one slot (MAX_PENDING_UPGRADES=1).
      const held = [await upgrade()];
      for (let i = 0; i < 500 && hung.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(hung.length).toBeGreaterThan(0);
      // The next is refused at once, before its credential is looked at.
      const third = await (await upgrade()).answer;
      expect(third).toMatch(/^HTTP\/1.1 503/);
      expect(third.toLowerCase()).toContain('retry-after: 1');
      // When the identity provider fails, the held ones get their 401 and the slots are free again.
      for (const res of hung) res.destroy();
      for (const h of held) expect(await h.answer).toMatch(/^HTTP\/1.1 401/);
      expect(await upgradeStatus(wsUrl(small.url), { headers: { authorization: `Bearer ${key}` } })).toBe(101);
    } finally {
      for (const s of sockets) s.destroy();
      for (const res of hung) res.destroy();
      await small.close();
      await new Promise<void>((resolve) => idp.close(() => resolve()));
    }
  });
});

describe('timeouts in seconds', () => {
  it('a socket that never sends its headers, one that trickles them and an authenticated body that never ends are all closed by the server (HEADERS_TIMEOUT, REQUEST_TIMEOUT)', async () => {
    const s = await startTestServer({ config: { headersTimeoutSeconds: 1, requestTimeoutSeconds: 2 } });
    try {
      const token = await s.token('metrics');
      const trickle: net.Socket[] = [];
      const [silent, slowHeaders, slowBody] = await Promise.all([
        openSockets(s.url, 1, () => {}),
        openSockets(s.url, 1, (sock) => {
          sock.write('GET /api/flags HTTP/1.1\r\nHost: x\r\n');
          trickle.push(sock);
        }),
        openSockets(s.url, 1, (sock) => {
          sock.write(`POST /api/metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"flag":`);
          trickle.push(sock);
        }),
      ]);
      // Keep both tricklers sending a byte now and then, so only the timeouts can end them.
      const drip = setInterval(() => {
        for (const t of trickle) if (!t.destroyed) t.write(t === slowHeaders[0] ? 'X-A: b\r\n' : ' ');
      }, 200);
      try {
        await Promise.all([...silent, ...slowHeaders, ...slowBody].map((sock) => (sock.closed ? undefined : new Promise((r) => sock.once('close', r)))));
      } finally {
        clearInterval(drip);
      }
      expect([...silent, ...slowHeaders, ...slowBody].every((sock) => sock.closed)).toBe(true);
    } finally {
      await s.close();
    }
  });
});
