import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../server/config.js';
import type { Clock } from '../../server/clock.js';
import { startTestServer, tempDataDir, type TestServer } from './server.js';

/** The files replicas must share: the token signing secret, the webhook secret, the checkpoint key. */
export const SHARED_FILES = ['secret', 'webhook-secret', 'checkpoint-key', 'checkpoint-key.pub'];

/** A data dir holding copies of `from`'s shared files (each replica keeps its own DATA_DIR). */
export function sharedDataDir(from: string): string {
  const dir = tempDataDir();
  for (const f of SHARED_FILES) if (fs.existsSync(path.join(from, f))) fs.copyFileSync(path.join(from, f), path.join(dir, f));
  return dir;
}

/**
 * `names.length` replicas (real `startServer`s, HTTP and websockets) in this process, on one
 * PostgreSQL database, sharing their secrets; a fast heartbeat so "gone" comes within a second.
 */
export async function startReplicas(databaseUrl: string, names: string[], opts: { config?: Partial<Config>; clock?: Clock } = {}): Promise<TestServer[]> {
  const out: TestServer[] = [];
  for (const name of names) {
    const dataDir = out[0] ? sharedDataDir(out[0].dataDir) : undefined;
    out.push(await startTestServer({ dataDir, clock: opts.clock, config: { databaseUrl, replicaName: name, replicaHeartbeatMs: 150, ...opts.config } }));
  }
  return out;
}
