// bench/ofrep — OFREP bulk evaluation of 50 flags (POST /ofrep/v1/evaluate/flags, a fresh
// context per request) next to the full-state snapshot (GET /sdk/flags) and OFREP bulk answered
// 304 (the same context again with If-None-Match): requests per second and p50/p99 latency. The
// server runs in this process (one event loop: one core); the load comes from a forked process,
// a closed loop of `--concurrency` requests in flight for `--seconds` per case.
//
//   node bench/ofrep.mjs [--flags=50] [--seconds=10] [--concurrency=32]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { args, fmt, percentile, table } from './lib/table.mjs';

const opt = args();

if (opt.role === 'load') {
  const { url, key, seconds, concurrency, kind } = JSON.parse(process.argv[2]);
  const latencies = [];
  let errors = 0;
  let n = 0;
  const until = performance.now() + seconds * 1000;
  const held = new Map();
  const one = async (w) => {
    const t = performance.now();
    try {
      let res;
      if (kind === 'sdk-flags') res = await fetch(`${url}/sdk/flags`, { headers: { authorization: `Bearer ${key}` } });
      else {
        const user = kind === 'ofrep-304' ? `user-${w}` : `user-${w}-${n++}`;
        const headers = { 'x-api-key': key, 'content-type': 'application/json' };
        if (kind === 'ofrep-304' && held.has(w)) headers['if-none-match'] = held.get(w);
        res = await fetch(`${url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers, body: JSON.stringify({ context: { targetingKey: user, plan: 'pro', country: 'NL' } }) });
        if (kind === 'ofrep-304' && res.status === 200) held.set(w, res.headers.get('etag'));
      }
      await res.arrayBuffer();
      if (res.status !== 200 && res.status !== 304) errors++;
    } catch {
      errors++;
    }
    latencies.push(performance.now() - t);
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    while (performance.now() < until) await one(w);
  }));
  const elapsed = (performance.now() - t0) / 1000;
  process.send({ rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), requests: latencies.length, errors });
  process.exit(0);
}

const { startBenchServer } = await import('./lib/server.mjs');
const { importTs } = await import('./lib/ts.mjs');

/** The evaluation alone, in process: one bulk answer of `n` flags for a new context (µs), with its ETag and JSON encoding. */
async function inProcess(n, rounds = 20_000) {
  const m = await importTs('ofrep-bench', `export { ofrepEvaluate, switchyardContext, bulkEtag } from './server/ofrep/ofrep-evaluation.ts'; export { PreparedFlag } from './sdk/src/evaluate.ts';`);
  const flags = Array.from({ length: n }, (_, i) => new m.PreparedFlag({ key: `bench-${i}`, version: 3, on: { model: 'b', temperature: 0.2 }, off: { model: 'a', temperature: 0.7 }, salt: `salt-${i}`, killed: false, paused: false, stage: i % 2 ? 0 : 1, percent: i % 2 ? 0 : 25, cohort: i % 2 ? [] : [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }] }));
  const t = performance.now();
  for (let r = 0; r < rounds; r++) {
    const given = { targetingKey: `user-${r}`, plan: 'pro', country: 'NL' };
    const ctx = m.switchyardContext(given);
    JSON.stringify({ flags: flags.map((f) => m.ofrepEvaluate(f.f.key, f, ctx).result) });
    m.bulkEtag(7, given);
  }
  return ((performance.now() - t) / rounds) * 1000;
}
const flags = Number(opt.flags ?? 50);
const seconds = Number(opt.seconds ?? 10);
const concurrency = Number(opt.concurrency ?? 32);

const server = await startBenchServer();
try {
  for (let i = 0; i < flags; i++) {
    await server.api('POST', '/api/flags', { key: `bench-${i}`, owner: 'bench@acme', on: { model: 'b', temperature: 0.2 }, off: { model: 'a', temperature: 0.7 } }, 'engineer');
    if (i % 2 === 0) {
      // Half the flags at 25% of a cohort (bucketed per user), half served as they are.
      await server.api('PUT', `/api/flags/bench-${i}/plan`, { cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }], stages: [{ percent: 25 }, { percent: 100 }], reason: 'bench' }, 'admin');
      await server.api('POST', `/api/flags/bench-${i}/signoffs`, { comment: 'bench' }, 'pm');
      await server.api('POST', `/api/flags/bench-${i}/advance`, { reason: 'bench' }, 'pm');
    }
  }
  const server_ = await server.api('POST', '/api/sdk-keys', { name: 'bench-server' });
  const client = await server.api('POST', '/api/sdk-keys', { name: 'bench-web', kind: 'client' });
  const here = fileURLToPath(import.meta.url);
  const run = (kind, key) =>
    new Promise((resolve, reject) => {
      const child = fork(here, [JSON.stringify({ url: server.url, key, seconds, concurrency, kind }), '--role=load']);
      child.once('message', resolve);
      child.once('exit', (code) => code !== 0 && reject(new Error(`load process exited ${code}`)));
    });
  const rows = [];
  for (const [name, kind, key] of [
    [`GET /sdk/flags (${flags} flag states)`, 'sdk-flags', server_.key],
    [`POST /ofrep/v1/evaluate/flags (${flags} flags, new context each)`, 'ofrep', client.key],
    ['POST /ofrep/v1/evaluate/flags (same context, If-None-Match: 304)', 'ofrep-304', client.key],
  ]) {
    const r = await run(kind, key);
    rows.push([name, fmt(r.rps, 0), fmt(r.p50, 2), fmt(r.p99, 2), String(r.requests), String(r.errors)]);
  }
  console.log(`in process: one bulk answer of ${flags} flags (evaluate, ETag, JSON) = ${fmt(await inProcess(flags), 0)} µs`);
  table(`OFREP bulk evaluation vs the snapshot: ${concurrency} in flight, ${seconds} s each, server on one event loop`, ['route', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors'], rows);
} finally {
  await server.close();
}
