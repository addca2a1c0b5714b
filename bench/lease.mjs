// bench/lease — what the fail-safe lease (maxStaleSeconds) costs on the evaluation hot path:
// ns per client.isEnabled over N distinct keys (default 1,000,000), median of 3 passes, for a
// 25% rollout (a) without a lease, (b) with a lease that holds (the one extra cost: a clock read),
// (c) with a lease that has lapsed (serves off, no hashing). The client is bootstrapped and never
// connects (no network).
//
//   node bench/lease.mjs [keys=1000000] [--rounds=3]
import { loadSdk } from './lib/ts.mjs';
import { args, fmt, median, table } from './lib/table.mjs';

const opt = args();
const N = Number(opt._[0] ?? 1_000_000);
const ROUNDS = Number(opt.rounds ?? 3);
const sdk = await loadSdk();
const flag = (key, extra) => ({ key, version: 1, on: true, off: false, salt: `${key}.salt`, killed: false, paused: false, stage: 2, percent: 25, cohort: [], ...extra });
class NoSocket {
  send() {}
  close() {}
}
const flags = [flag('plain'), flag('leased', { maxStaleSeconds: 3600 })];
const live = sdk.createClient({ url: 'http://127.0.0.1:9', sdkKey: 'sy_sdk_bench', bootstrap: { version: 1, flags }, WebSocket: NoSocket, telemetryIntervalMs: 0 });
// A client whose lease lapsed: created "two hours ago" as far as its clock knows.
const realNow = Date.now;
Date.now = () => realNow() - 7_200_000;
const lapsed = sdk.createClient({ url: 'http://127.0.0.1:9', sdkKey: 'sy_sdk_bench', bootstrap: { version: 1, flags }, WebSocket: NoSocket, telemetryIntervalMs: 0 });
Date.now = realNow;
const ctxs = Array.from({ length: N }, (_, i) => ({ key: `user-${i}` }));
const loop = () => new Function('c', 'k', 'ctxs', 'n', 'let t = 0; for (let i = 0; i < n; i++) if (c.isEnabled(k, ctxs[i]) === true) t++; return t;');

function measure(c, key) {
  const run = loop();
  run(c, key, ctxs, Math.min(N, 50_000));
  const times = [];
  let trues = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    trues = run(c, key, ctxs, N);
    times.push(Number(process.hrtime.bigint() - t0) / N);
  }
  return [fmt(median(times)), `${fmt((100 * trues) / N, 2)}%`];
}

table(`client.isEnabled, ${N.toLocaleString('en-US')} keys, median of ${ROUNDS}`, ['what', 'ns/call', 'true share'], [
  ['(a) 25% rollout, no lease', ...measure(live, 'plain')],
  ['(b) 25% rollout, lease holding', ...measure(live, 'leased')],
  ['(c) 25% rollout, lease lapsed (serves off)', ...measure(lapsed, 'leased')],
]);
live.close();
lapsed.close();
