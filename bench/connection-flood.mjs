// bench/connection-flood — kill latency from a fresh TCP connection, quiet and during a flood
// of idle, header-trickling and body-trickling sockets opened by a child process (well below
// its fd limit), with 20 SDKs connected. The server runs with MAX_CONNECTIONS as given.
// With --reopen the flood re-opens every socket the server closes (a connection-churn attack).
//
//   node bench/connection-flood.mjs [SOCKETS=3000] [--cap=1000] [--kills=50] [--reopen]
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { args, fmt, percentile, table } from './lib/table.mjs';
import { freshKill } from './lib/kill.mjs';
import { ackingSdks } from './lib/sdk-peers.mjs';

const opt = args();
if (opt['flood-child']) {
  // The flood, in its own process: a third never send a byte, a third send half a request
  // line, a third send headers and then trickle a 512 KB body without a token.
  const [url, n, reopen] = [opt.url, Number(opt.n), Boolean(opt.reopen)];
  const { hostname, port } = new URL(url);
  let opened = 0;
  let stop = false;
  const open = (kind) => {
    if (stop) return;
    const s = net.connect(Number(port), hostname);
    opened++;
    s.on('error', () => {});
    s.resume();
    s.once('connect', () => {
      if (kind === 1) s.write('GET /api/flags HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      if (kind === 2) s.write('POST /api/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 524288\r\n\r\n{"samples":[');
    });
    if (reopen) s.once('close', () => setTimeout(() => open(kind), 10));
  };
  for (let i = 0; i < n; i++) {
    open(i % 3);
    if (i % 250 === 249) await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 1000));
  process.send({ type: 'ready' });
  process.on('message', () => {
    stop = true;
    process.send({ type: 'opened', opened }, () => process.exit(0));
  });
  await new Promise(() => {});
}
const { startBenchServer } = await import('./lib/server.mjs');

const SOCKETS = Number(opt._[0] ?? 3000);
const CAP = Number(opt.cap ?? 1000);
const KILLS = Number(opt.kills ?? 50);

const server = await startBenchServer({ maxConnections: CAP });
const peers = [];
try {
  const token = await server.token('oncall');
  for (let i = 0; i < KILLS * 2; i++) await server.api('POST', '/api/flags', { key: `flood-${i}`, owner: 'bench@acme' });
  const { key } = await server.api('POST', '/api/sdk-keys', { name: 'bench' });
  peers.push(...(await ackingSdks(server.url, key)));

  const kill = (flag) => freshKill(server.url, token, flag);
  const run = async (from) => {
    const ms = [];
    for (let i = 0; i < KILLS; i++) ms.push(await kill(`flood-${from + i}`));
    return ms;
  };

  const quiet = await run(0);
  const child = fork(fileURLToPath(import.meta.url), ['--flood-child', `--url=${server.url}`, `--n=${SOCKETS}`, ...(opt.reopen ? ['--reopen'] : [])]);
  await new Promise((r) => child.once('message', r));
  const during = await run(KILLS);
  child.send('stop');
  const opened = (await new Promise((r) => child.on('message', (m) => m.type === 'opened' && r(m)))).opened;
  const metrics = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${await server.token('viewer')}` } })).text();
  const figure = (name) => /^(\S+) (\S+)$/m.exec(metrics.split('\n').filter((l) => l.startsWith(name + ' ')).join('\n'))?.[2];
  const row = (what, ms) => [what, ms.length, fmt(percentile(ms, 50), 2), fmt(percentile(ms, 99), 2), fmt(Math.max(...ms), 2)];
  table(`kill latency from a fresh connection (ms), MAX_CONNECTIONS ${CAP}, 20 SDKs connected`, ['when', 'kills', 'p50', 'p99', 'max'], [
    row('quiet', quiet),
    row(`during a flood of ${SOCKETS.toLocaleString('en')} idle/slow sockets${opt.reopen ? ', re-opened as closed' : ''} (${opened.toLocaleString('en')} opened in all)`, during),
  ]);
  console.log(`\nserver connections at the end: ${figure('switchyard_http_connections')}; evicted: ${figure('switchyard_http_connections_evicted_total')}`);
} finally {
  for (const p of peers) p.terminate();
  await server.close();
}
process.exit(0);
