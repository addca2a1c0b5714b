// Starts a real Switchyard server for a bench: in this process, on 127.0.0.1 port 0, over a
// fresh SQLite file in a temp DATA_DIR (removed on close). Logs at warn level go to a counter.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadServer } from './ts.mjs';

export async function startBenchServer(overrides = {}) {
  const s = await loadServer();
  const dataDir = overrides.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  const logs = [];
  const sink = new Writable({ write: (c, _e, cb) => (logs.length < 1000 && logs.push(String(c)), cb()) });
  const config = s.configFromEnv({}, { port: 0, host: '127.0.0.1', dataDir, logLevel: 'warn', authFailureLimit: 1_000_000, maxConnectionsPerKey: 20_000, ...overrides });
  const running = await s.startServer({ config, log: s.createLogger('warn', sink) });
  const tokens = {};
  const token = async (role) => (tokens[role] ??= await s.issueToken(running.secret, `bench-${role}`, role));
  async function api(method, p, body, role = 'admin') {
    const res = await fetch(running.url + p, {
      method,
      headers: { authorization: `Bearer ${await token(role)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }
  return {
    url: running.url,
    running,
    dataDir,
    logs,
    token,
    api,
    async close() {
      await running.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
