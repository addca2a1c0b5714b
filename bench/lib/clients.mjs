// A child process holding many clients for bench/propagation and bench/connections, driven over
// IPC. Commands: {cmd:'bare', url, n, ack?} opens n plain `ws` clients (that parse each message,
// and with `ack` write an acknowledgement back); {cmd:'sdk', url, sdkKey, n, flag}
// opens n real SDK clients; {cmd:'close'} closes them; {cmd:'exit'}. It reports 'ready' when all
// are connected, and per delivery the time (performance.timeOrigin + performance.now()) at which
// the first and the last of its clients had it.
import WebSocket from 'ws';

const sdkPath = process.argv[2];
const nowMs = () => performance.timeOrigin + performance.now();
let open = [];
const send = (m) => process.send?.(m);

/** Tracks per round (bare: nth message; sdk: state version) how many clients had it. */
function tally(n) {
  const rounds = new Map();
  return (round) => {
    const t = nowMs();
    let r = rounds.get(round);
    if (!r) rounds.set(round, (r = { count: 0, first: t, last: t }));
    r.count++;
    r.last = t;
    if (r.count === n) {
      send({ type: 'round', round, first: r.first, last: r.last });
      rounds.delete(round);
    }
  };
}

async function inBatches(n, size, make) {
  for (let i = 0; i < n; i += size) await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, j) => make(i + j)));
}

async function bare({ url, n, ack }) {
  const hit = tally(n);
  await inBatches(n, 250, async () => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let got = 0;
    // Parse what arrives, as an SDK client does, so the comparison is like for like. With `ack`,
    // also write back the SDK's 30-byte acknowledgement after the I/O batch, as the SDK does.
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      hit(++got);
      if (ack) setImmediate(() => ws.send(`{"type":"ack","version":${m.version}}`));
    });
    ws.on('error', (e) => send({ type: 'error', message: String(e) }));
    open.push({ close: () => ws.terminate() });
    await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
  });
  send({ type: 'ready', n: open.length });
}

async function sdk({ url, sdkKey, n, flag }) {
  const { createClient } = await import(sdkPath);
  const hit = tally(n);
  await inBatches(n, 250, async () => {
    const c = createClient({ url, sdkKey, WebSocket });
    c.on('change', ({ key }) => key === flag && hit(c.version));
    open.push(c);
    if (!(await c.ready({ timeoutMs: 30_000 }))) throw new Error('an SDK client did not become ready');
  });
  send({ type: 'ready', n: open.length });
}

process.on('message', async (m) => {
  try {
    if (m.cmd === 'bare') await bare(m);
    else if (m.cmd === 'sdk') await sdk(m);
    else if (m.cmd === 'churn') {
      // Every 100 ms replace `perTick` SDK clients with fresh ones, for `ms`.
      const until = Date.now() + m.ms;
      let replaced = 0;
      while (Date.now() < until) {
        for (let i = 0; i < m.perTick && open.length; i++) {
          open.shift().close();
          const { createClient } = await import(sdkPath);
          open.push(createClient({ url: m.url, sdkKey: m.sdkKey, WebSocket }));
          replaced++;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      send({ type: 'churned', replaced });
    } else if (m.cmd === 'close') {
      for (const c of open) c.close();
      open = [];
      send({ type: 'closed' });
    } else if (m.cmd === 'exit') process.exit(0);
  } catch (err) {
    send({ type: 'error', message: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'up' });
