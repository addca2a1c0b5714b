import { AuditAction } from '@switchyard-flags/sdk/api';
import type { FlagState, Snapshot } from '@switchyard-flags/sdk/protocol';
import type { ChangeBus, ChangeEvent } from '../changes.js';
import type { Db } from '../storage/schema.js';
import { flagRowsChangedSince, listFlagRows } from '../flags/flag-store.js';
import { toFlagState, type FlagRow } from '../flags/flag-view.js';
import type { Logger } from '../log.js';
import { currentStateVersion } from '../meta-store.js';

/** One coalesced change, encoded once for every connection. */
export interface Broadcast {
  since: number;
  version: number;
  /** The `changes` message, UTF-8 encoded once. */
  data: Buffer;
  /** The rows that changed, with the action that last changed each (for the admin stream). */
  rows: Array<{ row: FlagRow; action: string }>;
}

interface Entry {
  /** null when the flag is archived: sent as a removal. */
  state: FlagState | null;
  stateVersion: number;
}

/**
 * The flag state every SDK connection is served from: held in memory, loaded once, and
 * brought forward by reading only the rows that changed when the ChangeBus says something
 * committed. Bursts coalesce into one read and one encoded message; answering a `hello`
 * (snapshot or changes since) never touches the database.
 */
export class StateFeed {
  version = 0;
  private readonly flags = new Map<string, Entry>();
  private readonly actions = new Map<string, string>();
  private readonly listeners = new Set<(b: Broadcast) => void>();
  /** Encoded first messages for the current version, by the version the client holds. */
  private readonly initial = new Map<number, Buffer>();
  private started?: Promise<void>;
  private reading?: Promise<void>;
  private dirty = false;
  private unsubscribe?: () => void;
  private closed = false;

  /** The environment this feed serves (an SDK key is bound to one: server/push/push-state.ts). */
  readonly environment: string;

  constructor(private readonly deps: { db: Db; bus: ChangeBus; log: Logger; environment: string }) {
    this.environment = deps.environment;
  }

  /** Loads the state and subscribes to changes; idempotent. */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.unsubscribe = this.deps.bus.subscribe((e) => this.onChange(e));
      const { rows, version } = await this.deps.db.transaction().execute(async (trx) => {
        const version = await currentStateVersion(trx);
        return { rows: await listFlagRows(trx, this.environment, { includeArchived: true }), version };
      });
      this.version = version;
      for (const row of rows) {
        this.flags.set(row.key, entryOf(row));
        if (row.state_version > this.version) this.version = row.state_version;
      }
    })();
    return this.started;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.listeners.clear();
  }

  onBroadcast(listener: (b: Broadcast) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The global version of a flag's latest change, or undefined for an unknown flag. */
  stateVersionOf(key: string): number | undefined {
    return this.flags.get(key)?.stateVersion;
  }

  /**
   * Resolves once the read of changes already announced is applied, so an answer built after
   * it holds every change committed (and announced) in this process before it was asked: on
   * PostgreSQL that read is a network round trip, and a kill's 200 can arrive before it ends.
   */
  async settled(): Promise<void> {
    while (this.reading) await this.reading;
  }

  snapshot(): Snapshot {
    const flags: FlagState[] = [];
    for (const e of this.flags.values()) if (e.state) flags.push(e.state);
    return { version: this.version, flags };
  }

  /**
   * The first message for a client that holds `held`: only what changed since then when it
   * can resume, else a full snapshot (also when it claims a version newer than ours, as after
   * a server reset). Cached per `held` until the version moves, so a reconnect storm after a
   * restart encodes each answer once.
   */
  firstMessage(held: number, heartbeatMs: number): Buffer {
    const resume = held > 0 && held <= this.version;
    const cacheKey = resume ? held : -1;
    let data = this.initial.get(cacheKey);
    if (!data) {
      let msg: object;
      if (resume) {
        const flags: FlagState[] = [];
        const removed: string[] = [];
        for (const [key, e] of this.flags) {
          if (e.stateVersion <= held) continue;
          if (e.state) flags.push(e.state);
          else removed.push(key);
        }
        msg = { type: 'changes', since: held, version: this.version, flags, removed, heartbeatMs };
      } else {
        msg = { type: 'snapshot', ...this.snapshot(), heartbeatMs };
      }
      data = Buffer.from(JSON.stringify(msg));
      if (this.initial.size >= 64) this.initial.clear();
      this.initial.set(cacheKey, data);
    }
    return data;
  }

  /**
   * Any flag change may move this environment's rows (a new flag and its shared columns are
   * written in every environment), so every feed reads its own rows past its version: a change
   * in another environment reads nothing here and sends nothing to this environment's SDKs.
   */
  private onChange(e: ChangeEvent): void {
    if (e.type !== 'flag' || this.closed) return;
    if (e.environment === undefined || e.environment === this.environment) this.actions.set(e.key, e.action);
    if (e.stateVersion > this.version) this.pull();
  }

  /** Reads what changed since our version; one read in flight, a burst folds into the next. */
  private pull(): void {
    if (this.reading) {
      this.dirty = true;
      return;
    }
    this.reading = (async () => {
      await this.started;
      do {
        this.dirty = false;
        const rows = await flagRowsChangedSince(this.deps.db, this.environment, this.version);
        if (!this.closed) this.apply(rows);
      } while (this.dirty && !this.closed);
    })()
      .catch((err: unknown) => this.deps.log.error({ err }, 'push: reading changed flags failed'))
      .finally(() => {
        this.reading = undefined;
      });
  }

  private apply(rows: FlagRow[]): void {
    const fresh = rows.filter((r) => r.state_version > this.version);
    if (fresh.length === 0) return;
    const since = this.version;
    const flags: FlagState[] = [];
    const removed: string[] = [];
    const changed: Broadcast['rows'] = [];
    for (const row of fresh) {
      const entry = entryOf(row);
      this.flags.set(row.key, entry);
      if (entry.state) flags.push(entry.state);
      else removed.push(row.key);
      changed.push({ row, action: this.actions.get(row.key) ?? AuditAction.FlagUpdate });
      this.actions.delete(row.key);
      if (row.state_version > this.version) this.version = row.state_version;
    }
    this.initial.clear();
    const data = Buffer.from(JSON.stringify({ type: 'changes', since, version: this.version, flags, removed }));
    const b: Broadcast = { since, version: this.version, data, rows: changed };
    for (const l of this.listeners) {
      try {
        l(b);
      } catch (err) {
        this.deps.log.error({ err }, 'push: broadcast listener failed');
      }
    }
  }
}

function entryOf(row: FlagRow): Entry {
  return { state: row.archived === 1 ? null : toFlagState(row), stateVersion: row.state_version };
}
