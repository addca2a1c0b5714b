// bench/eval — ns per evaluation over N distinct user keys (default 1,000,000) for
// (a) a 25% rollout, (b) the rollout behind three cohort rules, (c) a killed flag, (d) an
// unknown flag with a fallback: a bare murmur3 + Map baseline, Switchyard's evaluate() and its
// client.value() path (bootstrapped, no server), and the peers set up offline, in one run.
// Also: share of `true` (each must be ~25% for (a)), heap bytes allocated per call (measured
// over a short probe inside a 64 MiB young generation, after a full GC: 0 = no allocation on the
// hot path), and the network calls seen (a preload refuses and records them: must be 0).
//
//   node bench/eval.mjs [keys=1000000] [--rounds=3] [--no-peers] [--async-keys=100000]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { args, fmt, median, table } from './lib/table.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
if (!globalThis.__networkCalls) {
  // Re-run under the no-network preload, with a fixed young generation so GC counts compare.
  const r = spawnSync(process.execPath, ['--require', path.join(here, 'lib', 'no-network.cjs'), '--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const opt = args();
const N = Number(opt._[0] ?? 1_000_000);
const ROUNDS = Number(opt.rounds ?? 3);
const ASYNC_N = Math.min(N, Number(opt['async-keys'] ?? 100_000));
const { PEERS, FLAGS, peersInstalled } = await import('./lib/peers.mjs');
const { loadSdk } = await import('./lib/ts.mjs');
const sdk = await loadSdk();

const keys = Array.from({ length: N }, (_, i) => `user-${i}`); // flat strings (< 13 chars)

// --- GC counting -------------------------------------------------------------------------
let minorGcs = 0;
const gcObs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e.detail?.kind ?? e.kind) === constants.NODE_PERFORMANCE_GC_MINOR) minorGcs++;
});
gcObs.observe({ entryTypes: ['gc'] });
const settle = () => new Promise((r) => setTimeout(r, 20));

// Each column gets its own compiled loop (own inline caches), so one column cannot make another's call site megamorphic.
const AsyncFunction = (async () => {}).constructor;
const syncLoop = () => new Function('fn', 'ctxs', 'n', 'let t = 0; for (let i = 0; i < n; i++) if (fn(ctxs[i]) === true) t++; return t;');
const asyncLoop = () => new AsyncFunction('fn', 'ctxs', 'n', 'let t = 0; for (let i = 0; i < n; i++) if ((await fn(ctxs[i])) === true) t++; return t;');

/** Heap bytes per call over a short probe (after the timed passes, so the code is optimized); null if a GC hid it. */
async function bytesPerCall(loop, fn, ctxs, n) {
  global.gc();
  await settle();
  const gcBefore = minorGcs;
  const h0 = v8.getHeapStatistics().used_heap_size;
  await loop(fn, ctxs, n);
  const h1 = v8.getHeapStatistics().used_heap_size;
  await settle();
  return minorGcs === gcBefore ? Math.max(0, (h1 - h0) / n) : null;
}

/** Median ns/call over ROUNDS passes of `n` contexts, the share of true, and heap bytes per call. */
async function measure(fn, ctxs, n, isAsync) {
  const loop = isAsync ? asyncLoop() : syncLoop();
  await loop(fn, ctxs, Math.min(n, 50_000)); // warm-up
  const times = [];
  let trues = 0;
  await settle();
  const gcBefore = minorGcs;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    trues = await loop(fn, ctxs, n);
    times.push(Number(process.hrtime.bigint() - t0) / n);
  }
  await settle();
  const bytes = await bytesPerCall(loop, fn, ctxs, Math.min(n, isAsync ? 5_000 : 20_000));
  return { ns: median(times), share: trues / n, gcs: ((minorGcs - gcBefore) / (n * ROUNDS)) * 1e6, bytes };
}

// --- Switchyard --------------------------------------------------------------------------
const rule3 = [
  { attr: 'plan', op: 'in', values: ['pro', 'team'] },
  { attr: 'country', op: 'eq', values: ['US'] },
  { attr: 'email', op: 'ends_with', values: ['@acme.com'] },
];
const flag = (key, extra) => ({ key, version: 1, on: true, off: false, salt: `${key}.salt`, killed: false, paused: false, stage: 2, percent: 25, cohort: [], ...extra });
const flags = [flag(FLAGS.a), flag(FLAGS.b, { cohort: rule3 }), flag(FLAGS.c, { killed: true })];
/** A WebSocket that never connects: the client serves its bootstrap and touches no network. */
class NoSocket {
  constructor() {}
  send() {}
  close() {}
}
const client = sdk.createClient({ url: 'http://127.0.0.1:9', sdkKey: 'sy_sdk_bench', bootstrap: { version: 1, flags }, WebSocket: NoSocket });
const byKey = new Map(flags.map((f) => [f.key, f]));
const ours = keys.map((key) => ({ key, plan: 'pro', country: 'US', email: `${key}@acme.com` }));

// The baseline: murmur3_x86_32 of the key (ASCII), seeded per flag, plus a Map lookup.
function murmur3(s, seed) {
  let h = seed | 0;
  const n = s.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let shift = 0; i < n; i++, shift += 8) k |= s.charCodeAt(i) << shift;
  if (n & 3) {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
const seeds = new Map(flags.map((f) => [f.key, { seed: murmur3(f.salt, 0), threshold: 2500 }]));
if (murmur3('user-42', 7) !== sdk.murmur3('user-42', 7)) throw new Error('baseline murmur3 differs from the SDK');

const fmtBytes = (b) => (b === null ? 'GC' : fmt(b, 1));
const results = {}; // results[column][scenario] = {ns, share, gcs}
const columns = [];
async function column(name, scenarios, ctxs, n, isAsync = false) {
  columns.push(name);
  results[name] = { n };
  for (const [s, fn] of Object.entries(scenarios)) results[name][s] = await measure(fn, ctxs, n, isAsync);
  process.stderr.write(`  measured ${name}\n`);
}

await column('bare murmur3 + Map', { a: (c) => { const f = seeds.get(FLAGS.a); return murmur3(c.key, f.seed) % 10000 < f.threshold; } }, ours, N);
const ev = sdk.evaluate;
await column('Switchyard evaluate()', {
  a: (c) => ev(byKey.get(FLAGS.a), c).value,
  b: (c) => ev(byKey.get(FLAGS.b), c).value,
  c: (c) => ev(byKey.get(FLAGS.c), c).value,
  d: (c) => ev(byKey.get(FLAGS.d), c).value ?? false,
}, ours, N);
await column('Switchyard client.isEnabled', {
  a: (c) => client.isEnabled(FLAGS.a, c),
  b: (c) => client.isEnabled(FLAGS.b, c),
  c: (c) => client.isEnabled(FLAGS.c, c),
  d: (c) => client.isEnabled(FLAGS.d, c),
}, ours, N);

let peerNames = [];
if (opt['no-peers'] || !peersInstalled()) {
  if (!opt['no-peers']) console.log('(peer SDKs not installed: run `npm --prefix bench install` or `npm run bench`)');
} else {
  const { OpenFeature } = await import('@openfeature/server-sdk');
  await OpenFeature.setProviderAndWait(new sdk.SwitchyardProvider({ client, initTimeoutMs: 1 }));
  const of = OpenFeature.getClient();
  const ofCtx = keys.slice(0, ASYNC_N).map((key) => ({ targetingKey: key, plan: 'pro', country: 'US', email: `${key}@acme.com` }));
  for (const peer of PEERS) {
    const p = await peer.setup();
    const n = peer.async ? ASYNC_N : N;
    const ctxs = keys.slice(0, n).map((k, i) => p.ctx(i, k));
    await column(peer.name, p.fns, ctxs, n, peer.async);
    peerNames.push(peer.name);
    await p.close();
  }
  const val = (k) => (c) => of.getBooleanValue(k, false, c);
  await column('OpenFeature server SDK over Switchyard (awaited)', { a: val(FLAGS.a), b: val(FLAGS.b), c: val(FLAGS.c), d: val(FLAGS.d) }, ofCtx, ASYNC_N, true);
  peerNames.push('OpenFeature server SDK over Switchyard (awaited)');
  await OpenFeature.close();
}
client.close();
gcObs.disconnect();

const label = { a: '(a) 25% rollout', b: '(b) 3 cohort rules + 25%', c: '(c) killed', d: '(d) unknown flag, fallback' };
table(
  `ns per evaluation (median of ${ROUNDS} passes; ${N.toLocaleString('en')} distinct keys, awaited peers ${ASYNC_N.toLocaleString('en')})`,
  ['what', ...Object.values(label), 'true share (a)', 'bytes/call (a)'],
  columns.map((c) => [c, ...Object.keys(label).map((s) => (results[c][s] ? fmt(results[c][s].ns) : undefined)), `${fmt(results[c].a.share * 100, 2)}%`, fmtBytes(results[c].a.bytes)]),
);
const base = results['bare murmur3 + Map'].a.ns;
const oursA = results['Switchyard client.isEnabled'].a.ns;
const rows = [
  ['Switchyard client.isEnabled (a) / bare baseline', `${fmt(oursA / base, 2)}×`, 'target ≤ 1.5×'],
  ['Switchyard evaluate() (a) / bare baseline', `${fmt(results['Switchyard evaluate()'].a.ns / base, 2)}×`, ''],
];
if (peerNames.length) {
  const fastest = peerNames.reduce((x, y) => (results[x].a.ns <= results[y].a.ns ? x : y));
  rows.push([`fastest peer (${fastest}) (a) / Switchyard client.isEnabled (a)`, `${fmt(results[fastest].a.ns / oursA, 2)}×`, 'target ≥ 3×']);
}
table('ratios', ['ratio', 'value', 'target'], rows);
const allocRows = columns.map((c) => [c, ...Object.keys(label).map((s) => (results[c][s] ? `${fmtBytes(results[c][s].bytes)} B · ${fmt(results[c][s].gcs, 0)} GCs` : undefined))]);
table('heap bytes allocated per call (probe after a full GC) · minor GCs per 1M timed calls', ['what', ...Object.values(label)], allocRows);
console.log(`\nnetwork calls attempted during the run: ${globalThis.__networkCalls.length}${globalThis.__networkCalls.length ? ` (${[...new Set(globalThis.__networkCalls)].join(', ')})` : ''}`);
process.exit(0);
