import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, loadOrCreateSecret } from '../server/auth/tokens.js';
import { CLI } from './helpers/cli.js';
import { tempDataDir } from './helpers/server.js';
import { testDatabaseUrl } from './helpers/test-db.js';

const dataDir = tempDataDir();
/** SWITCHYARD_TEST_DB=postgres: the served process gets a fresh PostgreSQL database (kept across the restart). */
let database: Record<string, string> = {};
beforeAll(async () => {
  const url = await testDatabaseUrl();
  if (url) database = { DATABASE_URL: url };
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function boot(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, ...database, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' } });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /switchyard listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return { child, url };
}

describe('kill -9 during a storm of writes', () => {
  it('every change that got a 2xx is there after restart, none that got an error is, and the chain verifies', async () => {
    let { child, url } = await boot();
    const token = await issueToken(loadOrCreateSecret(dataDir).secret, 'storm', 'engineer');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const acked = { created: new Set<string>(), killed: new Set<string>() };
    const refused = new Set<string>();
    let stop = false;

    const worker = async (w: number) => {
      for (let i = 0; i < 500 && !stop; i++) {
        const key = `w${w}-${i}`;
        try {
          const c = await fetch(`${url}/api/flags`, { method: 'POST', headers, body: JSON.stringify({ key, owner: 'o' }) });
          if (c.status === 201) acked.created.add(key);
          else refused.add(key);
          if (c.status !== 201) continue;
          const k = await fetch(`${url}/api/flags/${key}/kill`, { method: 'POST', headers, body: JSON.stringify({ reason: 'storm' }) });
          if (k.status === 200) acked.killed.add(key);
        } catch {
          return; // the server died mid-request: the outcome of this one is unknown, and not counted
        }
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    // Let the storm build up, then pull the plug while requests are in flight.
    while (acked.killed.size < 60) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    stop = true;
    await Promise.all(workers);

    ({ child, url } = await boot());
    try {
      const list = await (await fetch(`${url}/api/flags`, { headers })).json();
      const flags = new Map<string, any>(list.flags.map((f: any) => [f.key, f]));
      for (const key of acked.created) expect(flags.has(key), `acknowledged create ${key} lost`).toBe(true);
      for (const key of acked.killed) expect(flags.get(key)?.killed, `acknowledged kill ${key} lost`).toBe(true);
      for (const key of refused) expect(flags.has(key), `refused create ${key} is there`).toBe(false);
      const verify = await (await fetch(`${url}/api/audit/verify`, { headers })).json();
      expect(verify.ok).toBe(true);
      const exported = await (await fetch(`${url}/api/audit/export?format=jsonl`, { headers })).text();
      const entries = exported.trim().split('\n').map((l) => JSON.parse(l));
      const creates = new Map<string, number>();
      for (const e of entries) if (e.action === 'flag.create') creates.set(e.flag, (creates.get(e.flag) ?? 0) + 1);
      for (const key of acked.created) expect(creates.get(key)).toBe(1);
      // Every flag that exists has exactly its one create entry: no change without its audit entry.
      for (const key of flags.keys()) expect(creates.get(key)).toBe(1);
      expect(acked.created.size).toBeGreaterThanOrEqual(60);
      // On PostgreSQL the served process kept nothing but key files in DATA_DIR.
      expect(fs.existsSync(`${dataDir}/switchyard.db`)).toBe(database.DATABASE_URL === undefined);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
