// bench/connections — server memory per idle SDK connection: the server's RSS and heap (after a
// full GC) before and after N real SDK clients (in child processes) connected and went idle;
// then a bounded churn soak (clients replaced continuously) sampling RSS, to show it stays flat.
//
//   node --expose-gc bench/connections.mjs [N=5000] [--soak-seconds=60]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
if (typeof global.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const { fork } = await import('node:child_process');
const fs = await import('node:fs');
const path = await import('node:path');
const { args, fmt, table } = await import('./lib/table.mjs');
const { startBenchServer } = await import('./lib/server.mjs');
const { bundleTs, SDK_ENTRY } = await import('./lib/ts.mjs');

const opt = args();
const N = Number(opt._[0] ?? 5000);
const SOAK = Number(opt['soak-seconds'] ?? 60);
const here = path.dirname(fileURLToPath(import.meta.url));
const mem = async () => {
  for (let i = 0; i < 3; i++) global.gc();
  await new Promise((r) => setTimeout(r, 200));
  global.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, ext: m.external + m.arrayBuffers };
};

const sdkPath = await bundleTs('sdk-conn', SDK_ENTRY);
const server = await startBenchServer();
const kids = [];
try {
  await server.api('POST', '/api/flags', { key: 'conn-flag', owner: 'bench@acme' });
  const { key: sdkKey } = await server.api('POST', '/api/sdk-keys', { name: 'bench' });
  const procs = Math.ceil(N / 4000);
  for (let i = 0; i < procs; i++) {
    const child = fork(path.join(here, 'lib', 'clients.mjs'), [sdkPath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((r) => child.once('message', r));
    kids.push(child);
  }
  const ask = (child, msg, type) => new Promise((resolve, reject) => {
    const h = (m) => (m.type === type ? (child.off('message', h), resolve(m)) : m.type === 'error' ? (child.off('message', h), reject(new Error(m.message))) : undefined);
    child.on('message', h);
    child.send(msg);
  });
  const before = await mem();
  await Promise.all(kids.map((c, i) => ask(c, { cmd: 'sdk', url: server.url, sdkKey, n: Math.floor(N / procs) + (i < N % procs ? 1 : 0), flag: 'conn-flag' }, 'ready')));
  await new Promise((r) => setTimeout(r, 1000));
  const after = await mem();
  const per = (k) => (after[k] - before[k]) / N;
  table(`server memory per idle SDK connection, N = ${N.toLocaleString('en')} (${procs} client processes)`, ['what', 'before (MiB)', 'after (MiB)', 'per connection'], [
    ['RSS', fmt(before.rss / 2 ** 20), fmt(after.rss / 2 ** 20), `${fmt(per('rss') / 1024, 2)} KiB`],
    ['JS heap used', fmt(before.heap / 2 ** 20), fmt(after.heap / 2 ** 20), `${fmt(per('heap') / 1024, 2)} KiB`],
    ['external + array buffers', fmt(before.ext / 2 ** 20), fmt(after.ext / 2 ** 20), `${fmt(per('ext') / 1024, 2)} KiB`],
  ]);

  // Churn soak: each process replaces ~1% of its clients every 100 ms; RSS sampled every 10% of the run.
  const samples = [['start', after.rss, server.running.push.sdk.size]];
  const perTick = Math.max(1, Math.round(N / procs / 100));
  const churn = Promise.all(kids.map((c) => ask(c, { cmd: 'churn', url: server.url, sdkKey, ms: SOAK * 1000, perTick }, 'churned')));
  for (let i = 1; i <= 10; i++) {
    await new Promise((r) => setTimeout(r, (SOAK * 1000) / 10));
    const m = await mem();
    samples.push([`${fmt((SOAK * i) / 10, 0)} s`, m.rss, server.running.push.sdk.size]);
  }
  const replaced = (await churn).reduce((n, m) => n + m.replaced, 0);
  table(`churn soak: ${SOAK} s, ${replaced.toLocaleString('en')} connections replaced (~${perTick * procs * 10}/s)`, ['time', 'server RSS (MiB, after GC)', 'live SDK connections'], samples.map(([t, rss, live]) => [t, fmt(rss / 2 ** 20), live]));
} finally {
  for (const c of kids) c.kill();
  await server.close();
  fs.rmSync(sdkPath, { force: true });
}
process.exit(0);
