import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { issueToken, loadSecretFile } from '../../server/auth/tokens.js';
import type { Role } from '../../server/auth/roles.js';
import { testDatabaseUrl } from './test-db.js';

const CLI = path.resolve('dist/cli.js');
/** The built SDK (global-setup builds dist/ before any test), importable from a worker's source. */
export const SDK_URL = pathToFileURL(path.resolve('sdk/dist/index.js')).href;

/** A real `switchyard serve` in its own process, as production runs it. */
export interface ServerProc {
  child: ChildProcess;
  url: string;
  port: number;
  dataDir: string;
  token(role: Role, sub?: string): Promise<string>;
  /** Calls the API with a bearer token; JSON in and out. */
  api(method: string, p: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Sends `signal` (SIGKILL by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** In the `postgres` project: each DATA_DIR's database, so a server booted again on it finds its state. */
const databases = new Map<string, string>();

/** The DATABASE_URL a server on `dataDir` gets in the `postgres` project (undefined on SQLite). */
export async function databaseOf(dataDir: string): Promise<string | undefined> {
  if (!databases.has(dataDir)) {
    const url = await testDatabaseUrl();
    if (!url) return undefined;
    databases.set(dataDir, url);
  }
  return databases.get(dataDir);
}

/** A copy of `seedDir` as a second replica: in the `postgres` project it shares the seed's database. */
export function shareDatabase(dataDir: string, seedDir: string): void {
  const url = databases.get(seedDir);
  if (url) databases.set(dataDir, url);
}

export async function bootServer(dataDir: string, env: Record<string, string> = {}): Promise<ServerProc> {
  const databaseUrl = env.DATABASE_URL ?? (await databaseOf(dataDir));
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', AUTH_FAILURE_LIMIT: '1000000', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /switchyard listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out.slice(-2000)}`)));
  });
  // Keep draining the access log so a full pipe never stalls the server.
  child.stdout!.resume();
  child.stderr!.resume();
  const secret = loadSecretFile(env.SECRET_FILE ?? path.join(dataDir, 'secret')).secret;
  const tokens = new Map<string, string>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    url,
    port: Number(new URL(url).port),
    dataDir,
    async token(role, sub = `${role}-user`) {
      const k = `${role}:${sub}`;
      if (!tokens.has(k)) tokens.set(k, await issueToken(secret, sub, role));
      return tokens.get(k)!;
    },
    async api(method, p, token, body, headers = {}) {
      const res = await fetch(url + p, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed };
    },
    async stop(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** A worker process running `source` (an ES module as text); it talks back in JSON lines on stdout. */
export interface WorkerProc {
  child: ChildProcess;
  lines: any[];
  /** Resolves with the first line (already received or still to come) matching `pred`. */
  next(pred: (l: any) => boolean): Promise<any>;
  /** Writes one JSON line to the worker's stdin. */
  send(msg: unknown): void;
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

export function spawnWorker(source: string, env: Record<string, string>): WorkerProc {
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: any[] = [];
  const waiting: Array<{ pred: (l: any) => boolean; resolve: (l: any) => void }> = [];
  let buf = '';
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  child.stdout!.on('data', (d) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const raw = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!raw.trim()) continue;
      let l: any;
      try {
        l = JSON.parse(raw);
      } catch {
        continue;
      }
      lines.push(l);
      for (const w of waiting.filter((w) => w.pred(l))) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (code) console.error(`worker exited ${code}: ${err}`);
      resolve(code);
    }),
  );
  return {
    child,
    lines,
    next(pred) {
      const found = lines.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiting.push({ pred, resolve }));
    },
    send(msg) {
      child.stdin!.write(JSON.stringify(msg) + '\n');
    },
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
