// The Unleash half of bench/cluster: the real Unleash server (one and two instances on one
// PostgreSQL database) with `unleash-client` SDKs at the default refresh (15 s) and at 1 s.
// Per round: disable the flag through the admin API, time until every client's isEnabled() is
// false (its `changed` event), then enable it again and wait for all. Client start times are
// spread over one refresh interval, as a real fleet's are; "all applied" is the last client's.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, nowMs, percentile, table } from './table.mjs';
import { freePort } from './pg.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ADMIN = '*:*.bench-admin-secret';
const CLIENT = '*:development.bench-client-secret';
const FLAG = 'bench-kill';

async function instance(pg, database) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(here, 'unleash-instance.mjs')], {
    env: {
      ...process.env, UNLEASH_PORT: String(port), PGPORT: String(pg.port), PGPASSWORD: pg.password, DATABASE: database,
      INIT_ADMIN_API_TOKENS: ADMIN, INIT_BACKEND_API_TOKENS: CLIENT, SEND_TELEMETRY: 'false', SDK_API_RATE_LIMIT_PER_MINUTE: '100000000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => ((out += d), /listening/.test(out) && resolve()));
    child.once('exit', (c) => reject(new Error(`unleash exited ${c}: ${out}`)));
  });
  child.stdout.resume();
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

async function admin(base, method, p, body) {
  const res = await fetch(base + p, { method, headers: { authorization: ADMIN, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  if (res.status >= 400) throw new Error(`unleash ${method} ${p}: ${res.status} ${await res.text()}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function fleet(urls, n, refreshInterval) {
  const { Unleash, InMemStorageProvider } = await import('unleash-client');
  const clients = [];
  for (let i = 0; i < n; i++) {
    const c = new Unleash({
      url: urls[i % urls.length] + '/api/', appName: 'bench', instanceId: `c${i}`, refreshInterval, disableMetrics: true,
      customHeaders: { Authorization: CLIENT }, storageProvider: new InMemStorageProvider(),
    });
    c.on('error', () => {});
    c.on('warn', () => {});
    clients.push(c);
    await sleep(refreshInterval / n); // spread over one refresh interval
  }
  await Promise.all(clients.map((c) => (c.isSynchronized?.() ? null : new Promise((r) => c.once('synchronized', r)))));
  return clients;
}

/** Resolves with the time (nowMs) the last client saw isEnabled === want. */
function allSee(clients, want) {
  return Promise.all(
    clients.map((c) =>
      c.isEnabled(FLAG) === want
        ? nowMs()
        : new Promise((resolve) => {
            const h = () => c.isEnabled(FLAG) === want && (c.off('changed', h), resolve(nowMs()));
            c.on('changed', h);
          }),
    ),
  ).then((ts) => Math.max(...ts));
}

export async function runUnleash(pg, { clients: n, kills }) {
  const rows = [];
  for (const instances of [1, 2]) {
    const db = `unleash${instances}`;
    await pg.createDatabase(db);
    const servers = [await instance(pg, db)];
    for (let i = 1; i < instances; i++) servers.push(await instance(pg, db));
    const urls = servers.map((s) => s.url);
    const env = `/api/admin/projects/default/features/${FLAG}/environments/development`;
    await admin(urls[0], 'POST', '/api/admin/projects/default/features', { name: FLAG, type: 'kill-switch' });
    await admin(urls[0], 'POST', `${env}/strategies`, { name: 'default' });
    await admin(urls[0], 'POST', `${env}/on`);
    for (const [label, refresh] of [['default refresh (15 s)', 15_000], ['refresh 1 s', 1000]]) {
      const cs = await fleet(urls, n, refresh);
      await allSee(cs, true);
      const times = [];
      for (let k = 0; k < kills; k++) {
        const t0 = nowMs();
        await admin(urls[k % urls.length], 'POST', `${env}/off`);
        times.push((await allSee(cs, false)) - t0);
        await admin(urls[0], 'POST', `${env}/on`);
        await allSee(cs, true);
      }
      for (const c of cs) c.destroy();
      rows.push([`${instances} Unleash instance${instances > 1 ? 's' : ''}, ${label}`, String(n), fmt(percentile(times, 50)), fmt(Math.max(...times))]);
    }
    for (const s of servers) s.stop();
  }
  table(`Unleash 8.2 on the same PostgreSQL: disable via admin API → every unleash-client saw it, ${kills} kills, ms`, ['setup', 'clients', 'p50', 'max'], rows);
}
