import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config.js';
import { quickCheck, type OpenedDb } from './db.js';

/** A second server on the same DATA_DIR: the message names the holder. */
export class DataDirLocked extends ConfigError {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another switchyard server (pid ${holderPid}); ` +
        'stop that one first or use another DATA_DIR (one server per SQLite database; several servers need the PostgreSQL cluster)',
    );
  }
}

/** Creates the data dir 0700 (and tightens an existing one), and makes the database files 0600 (SQLite; none on PostgreSQL). */
export function prepareDataDir(dataDir: string, dbFile: string | undefined): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
  if (dbFile === undefined) return;
  // SQLite gives -wal and -shm the database file's own mode, so creating it 0600 first is enough.
  fs.closeSync(fs.openSync(dbFile, 'a', 0o600));
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) {
    try {
      fs.chmodSync(f, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds, so a second startServer in the same process is refused too. */
const heldHere = new Set<string>();

export interface DataDirLock {
  file: string;
  /** False once the lock file was removed or replaced by someone else. */
  held(): boolean;
  release(): void;
}

/**
 * One server per DATA_DIR: `switchyard.lock` holds the owner's pid and a random token for the
 * process's life. A lock whose pid is dead (a crash, a container restart) is stale and taken over.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = path.join(dataDir, 'switchyard.lock');
  const token = crypto.randomUUID();
  const content = JSON.stringify({ pid: process.pid, token, startedAt: new Date().toISOString() }) + '\n';
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, content, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
    }
    const holder = readLock(file);
    if (holder && alive(holder.pid) && (holder.pid !== process.pid || heldHere.has(file))) throw new DataDirLocked(dataDir, holder.pid);
    fs.rmSync(file, { force: true }); // stale: its process is gone
  }
  heldHere.add(file);
  let released = false;
  return {
    file,
    held: () => !released && readLock(file)?.token === token,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(file);
      if (readLock(file)?.token === token) fs.rmSync(file, { force: true });
    },
  };
}

function readLock(file: string): { pid: number; token: string } | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown; token?: unknown };
    return typeof v.pid === 'number' && typeof v.token === 'string' ? { pid: v.pid, token: v.token } : undefined;
  } catch {
    return undefined;
  }
}

/** A database file whose pages are damaged is refused at start: serving it would answer kills with errors later. */
export class DatabaseCorrupt extends ConfigError {}

export function checkIntegrity(opened: OpenedDb, file: string): void {
  let result: string;
  try {
    result = quickCheck(opened);
  } catch (err) {
    result = (err as Error).message;
  }
  if (result !== 'ok') {
    throw new DatabaseCorrupt(
      `the database ${file} failed PRAGMA quick_check (${result.slice(0, 200)}); refusing to start. ` +
        'Restore the latest backup (docs/runbook.md, "restore from a backup") or move the file aside to start empty',
    );
  }
}
