/**
 * Sources of worker processes (ES modules as text, run with `node --input-type=module -e`),
 * so that load comes from other processes than the one measuring. Each talks in JSON lines.
 */
import { SDK_URL } from './reliability-proc.js';

/**
 * Posts metric batches as fast as it can (`CONCURRENCY` loops of `BATCH` samples over `FLAGS`)
 * until anything arrives on stdin; reports `{t:'flood', ok, bad, samples, statuses}` every 250 ms.
 */
export const FLOOD_WORKER = `
const url = process.env.URL, token = process.env.TOKEN, flags = process.env.FLAGS.split(',');
const batch = Number(process.env.BATCH), conc = Number(process.env.CONCURRENCY);
let ok = 0, bad = 0, samples = 0, stop = false;
const statuses = {};
process.stdin.on('data', () => { stop = true; });
async function loop(w) {
  for (let i = 0; !stop; i++) {
    const body = JSON.stringify({ samples: Array.from({ length: batch }, (_, j) => ({ flag: flags[(i + j + w) % flags.length], metric: 'error_rate', value: 0.001 + ((i + j) % 7) / 10000 })) });
    try {
      const r = await fetch(url + '/api/metrics', { method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' }, body });
      await r.arrayBuffer();
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 201) { ok++; samples += batch; } else bad++;
    } catch { bad++; await new Promise((r) => setTimeout(r, 50)); }
  }
}
const report = () => console.log(JSON.stringify({ t: 'flood', ok, bad, samples, statuses }));
const timer = setInterval(report, 250);
await Promise.all(Array.from({ length: conc }, (_, w) => loop(w)));
clearInterval(timer);
report();
console.log(JSON.stringify({ t: 'done' }));
process.exit(0);
`;

/**
 * A fleet of \`CLIENTS\` SDK clients in one process. Reports \`ready\` once all are synced; then, per
 * client, every reconnect (\`status\` back to ready after stale) and the moment it sees \`WATCH\`
 * killed; evaluates every flag of every client every 20 ms and counts errors. On stdin
 * \`{"cmd":"report"}\` it answers \`{t:'report', ...}\`; \`{"cmd":"close"}\` closes every client.
 */
export const SDK_FLEET_WORKER = `
import WebSocket from 'ws';
import { createClient } from '${SDK_URL}';
const n = Number(process.env.CLIENTS), watch = process.env.WATCH;
const initialMs = Number(process.env.INITIAL_MS ?? 1000), maxMs = Number(process.env.MAX_MS ?? 30000);
let live = 0, opened = 0, perClientMaxSockets = 0;
/** Counts live sockets per client: "one socket each" means no client ever holds two at once. */
function counting() {
  let mine = 0;
  return class extends WebSocket {
    constructor(url, protocols, options) {
      super(url, protocols, options);
      opened++; live++; mine++;
      perClientMaxSockets = Math.max(perClientMaxSockets, mine);
      this.on('close', () => { live--; mine--; });
    }
  };
}
const clients = [];
const reconnects = [];
const sawKill = [];
let evalErrors = 0, evaluations = 0;
for (let i = 0; i < n; i++) {
  const c = createClient({ url: process.env.URL, sdkKey: process.env.SDK_KEY, WebSocket: counting(), reconnect: { initialMs, maxMs } });
  let wasStale = false;
  c.on('status', (s) => {
    if (s === 'stale') wasStale = true;
    if (s === 'ready' && wasStale) { wasStale = false; reconnects.push(Date.now()); }
  });
  c.on('change', ({ key }) => {
    if (key === watch && c.evaluate(watch, { key: 'u' }).reason === 'KILLED' && sawKill[i] === undefined) sawKill[i] = Date.now();
  });
  clients.push(c);
}
await Promise.all(clients.map((c) => c.ready({ timeoutMs: 60000 })));
console.log(JSON.stringify({ t: 'ready', n: clients.filter((c) => c.status === 'ready').length }));
const evalTimer = setInterval(() => {
  for (const c of clients) for (const f of c.snapshot().flags) {
    evaluations++;
    const r = c.evaluate(f.key, { key: 'user-' + evaluations % 1000 });
    if (r.reason === 'ERROR' || r.reason === 'FLAG_NOT_FOUND') evalErrors++;
  }
}, 20);
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const msg = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (msg.cmd === 'report') {
      console.log(JSON.stringify({
        t: 'report', id: msg.id, n, ready: clients.filter((c) => c.status === 'ready').length,
        versions: [...new Set(clients.map((c) => c.version))], live, perClientMaxSockets, opened, reconnects, sawKill: sawKill.filter((x) => x !== undefined),
        evalErrors, evaluations,
      }));
    }
    if (msg.cmd === 'close') {
      clearInterval(evalTimer);
      for (const c of clients) c.close();
      setTimeout(() => { console.log(JSON.stringify({ t: 'closed', live })); process.exit(0); }, 200);
    }
  }
});
`;

/**
 * Writes as hard as it can from `LOOPS` concurrent loops, each on flags of its own: create, plan,
 * then a random mix of edits (some deliberately stale or invalid), kills, restores, sign-offs,
 * advances, rollbacks and metric samples. Every request carries `X-Request-Id: w<W>-<n>`; every
 * answer is printed as `{rid, op, key, status, changed, version, value}` — `status: 'lost'` when
 * the connection died first (outcome unknown). Exits once the server is gone.
 */
export const CRASH_WRITER_WORKER = `
const url = process.env.URL, W = process.env.W, T = JSON.parse(process.env.TOKENS), loops = Number(process.env.LOOPS);
let seq = 0, mseq = 0, dead = false, rng = Number(W) * 7919 + 1;
const rnd = () => ((rng = (rng * 48271) % 2147483647) / 2147483647);
// The evidence a sign-off signs (GET /gates' snapshotId, which the API requires); a read, never logged as a write.
async function seen(f, token) {
  try {
    const r = await fetch(url + f + '/gates', { headers: { authorization: 'Bearer ' + token } });
    return (await r.json()).snapshotId ?? undefined;
  } catch {
    return undefined;
  }
}

async function call(op, key, method, path, token, body) {
  const rid = 'w' + W + '-' + (++seq);
  try {
    const r = await fetch(url + path, { method, headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json', 'x-request-id': rid }, body: JSON.stringify(body) });
    const j = await r.json().catch(() => ({}));
    const line = { rid, op, key, status: r.status, changed: j.changed, version: j.flag?.version ?? j.version, value: body.value };
    console.log(JSON.stringify(line));
    return line;
  } catch {
    console.log(JSON.stringify({ rid, op, key, status: 'lost', value: body.value }));
    dead = true;
    return null;
  }
}
async function loop(l) {
  for (let n = 0; !dead; n++) {
    const key = 'c' + W + '-' + l + '-' + n;
    const c = await call('create', key, 'POST', '/api/flags', T.eng, { key, owner: 'o', tags: ['crash'] });
    if (!c || c.status !== 201) continue;
    let version = 1;
    const p = await call('plan', key, 'PUT', '/api/flags/' + key + '/plan', T.pmA, { stages: [{ percent: 5 }, { percent: 50 }, { percent: 100 }] });
    if (p?.version) version = p.version;
    for (let i = 0; i < 12 && !dead; i++) {
      const r = rnd(), f = '/api/flags/' + key;
      let res;
      if (r < 0.15) res = await call('patch', key, 'PATCH', f, T.eng, { version, description: 'd' + i });
      else if (r < 0.2) res = await call('patch-stale', key, 'PATCH', f, T.eng, { version: version + 5, description: 'stale' });
      else if (r < 0.32) res = await call('kill', key, 'POST', f + '/kill', T.oncall, { reason: 'storm' });
      else if (r < 0.42) res = await call('restore', key, 'POST', f + '/restore', T.oncall, { reason: 'storm over' });
      else if (r < 0.52) res = await call('signoff', key, 'POST', f + '/signoffs', T.pmB, { comment: 'ok', snapshotId: await seen(f, T.pmB) });
      else if (r < 0.62) res = await call('advance', key, 'POST', f + '/advance', T.pmB, { reason: 'go' });
      else if (r < 0.68) res = await call('rollback', key, 'POST', f + '/rollback', T.oncall, { reason: 'back' });
      else if (r < 0.92) res = await call('metric', key, 'POST', '/api/metrics', T.metrics, { flag: key, metric: 'error_rate', value: Number(W) * 1e6 + (++mseq) });
      else res = await call('bad', key, 'PATCH', f, T.eng, { version, description: 'x', stage: 3 });
      if (res?.version) version = res.version;
    }
  }
}
await Promise.all(Array.from({ length: loops }, (_, l) => loop(l)));
process.exit(0);
`;
