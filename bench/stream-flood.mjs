// bench/stream-flood — kill latency from a fresh TCP connection, quiet and while OFREP event
// streams are held by a child process (issue 20, finding 1), with 20 acknowledging SDKs
// connected, all in one run. The server runs with the default caps (MAX_CONNECTIONS 10,000,
// MAX_STREAMS 9,000, 4,500 per key and per address) unless given.
//   one key:  STREAMS opened with one client key from one address (the attack; the key
//             keeps its share, every later stream evicts its oldest);
//   spread:   STREAMS opened with 3 client keys from 3 loopback addresses (127.0.0.1-3), which
//             fills the whole stream budget.
//
// Kills are paced (--gap ms apart, default 250, as on-call's curl; 0: back to back, which makes
// every kill also wait for the previous kill's fan-out to thousands of streams).
//
//   node bench/stream-flood.mjs [STREAMS=10000] [--kills=100] [--gap=250] [--cap=10000]
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { args, fmt, percentile, table } from './lib/table.mjs';
import { freshKill } from './lib/kill.mjs';
import { ackingSdks } from './lib/sdk-peers.mjs';

const opt = args();
if (opt['flood-child']) {
  // The flood, in its own process (its own descriptors): socket i uses path i % paths and
  // local address 127.0.0.(1 + i % addresses); an evicted stream is not re-opened.
  const { hostname, port } = new URL(opt.url);
  const paths = String(opt.paths).split(',');
  const [n, addresses] = [Number(opt.n), Number(opt.addresses ?? 1)];
  const held = new Set();
  for (let i = 0; i < n; i += 250) {
    await Promise.all(
      Array.from({ length: Math.min(250, n - i) }, (_, j) =>
        new Promise((resolve) => {
          const k = i + j;
          const s = net.connect({ port: Number(port), host: hostname, localAddress: `127.0.0.${1 + (k % addresses)}` });
          s.on('error', () => resolve());
          s.once('connect', () => s.write(`GET ${paths[k % paths.length]} HTTP/1.1\r\nHost: x\r\n\r\n`));
          s.on('data', (d) => String(d).includes('refetchEvaluation') && resolve());
          s.once('close', () => (held.delete(s), resolve()));
          s.once('end', () => s.destroy());
          held.add(s);
        }),
      ),
    );
  }
  process.send({ type: 'ready', held: held.size });
  process.on('message', () => process.exit(0));
  await new Promise(() => {});
}
const { startBenchServer } = await import('./lib/server.mjs');

const STREAMS = Number(opt._[0] ?? 10_000);
const KILLS = Number(opt.kills ?? 100);
const CAP = Number(opt.cap ?? 10_000);
const GAP = Number(opt.gap ?? 250);

// The default per-key cap (bench/lib/server.mjs raises it for the other benches).
const server = await startBenchServer({ maxConnections: CAP, maxConnectionsPerKey: undefined });
const peers = [];
try {
  const token = await server.token('oncall');
  for (let i = 0; i < KILLS * 3; i++) await server.api('POST', '/api/flags', { key: `stream-${i}`, owner: 'bench@acme' });
  const { key } = await server.api('POST', '/api/sdk-keys', { name: 'bench' });
  peers.push(...(await ackingSdks(server.url, key)));
  const eventPath = async () => {
    const client = await server.api('POST', '/api/sdk-keys', { name: `web-${Math.random()}`, kind: 'client' });
    const res = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { 'x-api-key': client.key, 'content-type': 'application/json' }, body: '{}' });
    const u = new URL((await res.json()).eventStreams[0].url);
    return u.pathname + u.search;
  };

  const kill = (flag) => freshKill(server.url, token, flag);
  const run = async (from) => {
    const ms = [];
    for (let i = 0; i < KILLS; i++) {
      if (GAP > 0) await new Promise((r) => setTimeout(r, GAP));
      ms.push(await kill(`stream-${from + i}`));
    }
    return ms;
  };
  const flood = async (paths, addresses) => {
    const child = fork(fileURLToPath(import.meta.url), ['--flood-child', `--url=${server.url}`, `--n=${STREAMS}`, `--paths=${paths.join(',')}`, `--addresses=${addresses}`]);
    const ready = await new Promise((r) => child.once('message', r));
    return { child, held: ready.held, streams: server.running.services.ofrep.events.size };
  };
  const stop = async ({ child }) => {
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
    while (server.running.services.ofrep.events.size > 0) await new Promise((r) => setTimeout(r, 50));
  };

  const quiet = await run(0);
  const one = await flood([await eventPath()], 1);
  const duringOne = await run(KILLS);
  await stop(one);
  const spread = await flood([await eventPath(), await eventPath(), await eventPath()], 3);
  const duringSpread = await run(KILLS * 2);
  await stop(spread);

  const metrics = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${await server.token('viewer')}` } })).text();
  const row = (what, ms) => [what, ms.length, fmt(percentile(ms, 50), 2), fmt(percentile(ms, 99), 2), fmt(Math.max(...ms), 2)];
  const n = (x) => x.toLocaleString('en');
  table(`kill latency from a fresh connection (ms), MAX_CONNECTIONS ${n(CAP)}, 20 SDKs connected, kills ${GAP} ms apart`, ['when', 'kills', 'p50', 'p99', 'max'], [
    row('quiet', quiet),
    row(`${n(STREAMS)} event streams opened, one client key, one address (${n(one.streams)} held by the server)`, duringOne),
    row(`${n(STREAMS)} event streams opened, 3 keys from 3 addresses (${n(spread.streams)} held by the server)`, duringSpread),
  ]);
  console.log('\nevictions:\n' + metrics.split('\n').filter((l) => l.startsWith('switchyard_stream_evictions_total{')).join('\n'));
} finally {
  for (const p of peers) p.terminate();
  await server.close();
}
process.exit(0);
