import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { configFromEnv, type Config } from '../../server/config.js';
import { issueToken } from '../../server/auth/tokens.js';
import type { Role } from '../../server/auth/roles.js';
import type { Clock } from '../../server/clock.js';
import { createLogger } from '../../server/log.js';
import { startServer, type RunningServer } from '../../server/main.js';
import { testDatabaseUrl } from './test-db.js';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface TestServer {
  url: string;
  dataDir: string;
  /** SWITCHYARD_TEST_DB=postgres: the server's own fresh database (kept by restart()); undefined on SQLite. */
  databaseUrl?: string;
  running: RunningServer;
  /** Every JSON log line the server wrote. */
  logs: string[];
  token(role: Role, sub?: string): Promise<string>;
  /** Calls the API; `body` objects are sent as JSON, strings as they are. */
  api<T = any>(method: string, p: string, opts?: { token?: string; as?: Role; body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  /** Stops the server, keeping the data dir (for restarts). */
  stop(): Promise<void>;
  /** Starts a fresh server on the same data dir. */
  restart(): Promise<TestServer>;
  /** Stops and removes the data dir. */
  close(): Promise<void>;
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-test-'));
}

/**
 * A real server on port 0 with a real SQLite file in a temp dir, or, with
 * SWITCHYARD_TEST_DB=postgres, a fresh database of the run's PostgreSQL cluster (the key files
 * still in the temp dir). `config.databaseUrl` given: that database, whatever the variable says.
 */
export async function startTestServer(
  opts: { dataDir?: string; clock?: Clock; config?: Partial<Config> } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDataDir();
  if (opts.config?.databaseUrl === undefined) {
    const databaseUrl = await testDatabaseUrl();
    if (databaseUrl) opts = { ...opts, config: { ...opts.config, databaseUrl } };
  }
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  // Tests make many deliberate 401s from one address: the limiter gets its own test.
  const config = configFromEnv({}, { port: 0, host: '127.0.0.1', dataDir, logLevel: 'info', authFailureLimit: 100_000, ...opts.config });
  const running = await startServer({ config, clock: opts.clock, log: createLogger('info', sink) });
  const tokens = new Map<string, string>();
  const ts: TestServer = {
    url: running.url,
    dataDir,
    databaseUrl: running.config.databaseUrl,
    running,
    logs,
    async token(role, sub = `${role}-user`) {
      const k = `${role}:${sub}`;
      if (!tokens.has(k)) tokens.set(k, await issueToken(running.secret, sub, role));
      return tokens.get(k)!;
    },
    async api(method, p, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const tok = o.token ?? (o.as ? await ts.token(o.as) : undefined);
      if (tok) headers.authorization = `Bearer ${tok}`;
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(running.url + p, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: leave the text
      }
      return { status: res.status, body: parsed as any, headers: res.headers, text };
    },
    stop: () => running.close(),
    async restart() {
      await running.close();
      return startTestServer({ ...opts, dataDir });
    },
    async close() {
      await running.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return ts;
}

/** Creates a flag as an engineer and returns it. */
export async function createFlag(ts: TestServer, key: string, extra: Record<string, unknown> = {}) {
  const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key, owner: 'ai-eng@acme', ...extra } });
  if (res.status !== 201) throw new Error(`createFlag ${key}: ${res.status} ${res.text}`);
  return res.body;
}
