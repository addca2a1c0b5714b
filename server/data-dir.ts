import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { ConfigError } from './errors.js';

/** A second server on the same DATA_DIR: the message names the holder. */
export class DataDirLocked extends ConfigError {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another switchyard server (${holderPid === undefined ? 'it holds the lock on switchyard.lock.db' : `pid ${holderPid}`}); ` +
        'stop that one first (in a container, the pid is its container\'s own) or use another DATA_DIR (one server per SQLite database; several servers need the PostgreSQL cluster)',
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

/** Lock files this process holds, so a second startServer in the same process is refused too. */
const heldHere = new Set<string>();

export interface DataDirLock {
  file: string;
  /** False once the lock file was removed or replaced by someone else. */
  held(): boolean;
  release(): void;
}

/**
 * Takes the operating system's lock on `switchyard.lock.db`: SQLite's own exclusive locking
 * (fcntl byte-range locks, which the kernel holds for this process and drops when it dies, in
 * whatever PID namespace either side runs). Undefined when another process holds it. The file is
 * never deleted: a process that opened it just before a delete would lock an orphaned inode.
 */
function takeOsLock(file: string): Database.Database | undefined {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = DELETE');
    // A write under EXCLUSIVE locking mode keeps the exclusive lock until the connection closes.
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (at TEXT); DELETE FROM held; INSERT INTO held VALUES (datetime()); COMMIT');
    return db;
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return undefined;
    throw err;
  }
}

/**
 * One server per DATA_DIR, in containers too: the lock is the OS's (`switchyard.lock.db`, see
 * takeOsLock), held for the process's life and released by the kernel when it dies (a crash, a
 * kill -9, a container stop), so a pid check (useless when every container's server is pid 1)
 * decides nothing. `switchyard.lock` says who holds it (pid, host, start time) for the message.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = path.join(dataDir, 'switchyard.lock');
  const holder = () => readLock(file);
  if (heldHere.has(file)) throw new DataDirLocked(dataDir, holder()?.pid ?? process.pid);
  const os = takeOsLock(`${file}.db`);
  if (!os) throw new DataDirLocked(dataDir, holder()?.pid);
  const token = crypto.randomUUID();
  const content = JSON.stringify({ pid: process.pid, host: hostname(), token, startedAt: new Date().toISOString() }) + '\n';
  fs.writeFileSync(`${file}.tmp`, content, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
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
      os.close();
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

export function checkIntegrity(sqlite: Database.Database, file: string): void {
  let result: string;
  try {
    result = String(sqlite.pragma('quick_check', { simple: true }));
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
