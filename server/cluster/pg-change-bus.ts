import pg from 'pg';
import { sql } from 'kysely';
import { AuditAction } from '@switchyard-flags/sdk/api';
import { LocalChangeBus, type ChangeBus, type ChangeEvent, type ChangeListener } from '../changes.js';
import type { Db } from '../storage/schema.js';
import { auditHead, auditRowsAfter, toAuditEntry } from '../audit/audit-store.js';
import { flagRowsOfEveryEnvironmentChangedSince } from '../flags/flag-store.js';
import type { Logger } from '../log.js';
import { currentStateVersion } from '../meta-store.js';
import { Backoff } from './backoff.js';

export const CHANGES_CHANNEL = 'switchyard_changes';

/** What a NOTIFY on `switchyard_changes` carries: ids, never bodies (payloads are capped at 8000 bytes). */
export interface ChangeNotice {
  /** The replica that committed. */
  r: string;
  /** The highest state version and audit seq it announced. */
  sv: number;
  seq: number;
}

export interface PgChangeBusDeps {
  db: Db;
  /** Where the dedicated LISTEN connection goes (not from the pool: a pooled client is handed back). */
  databaseUrl: string;
  replicaId: string;
  log: Logger;
  /** Audit entries read per query while catching up. */
  batch?: number;
}

/**
 * The change bus of a replica on PostgreSQL. A local commit is published to local subscribers
 * at once, as on one node, and announced with `NOTIFY switchyard_changes` after commit. Every
 * replica LISTENs on its own connection; a notice (or a reconnect, or `catchUp()` from the
 * heartbeat) makes it read what moved since the last state version and audit seq it saw, and
 * publish that locally marked `remote`. The read is by version, not by notice, so a lost notice
 * or a dropped connection loses nothing: the next read brings every change, in order.
 */
export class PgChangeBus implements ChangeBus {
  private readonly local = new LocalChangeBus();
  /** State version and audit seq this replica has published up to (local and remote alike). */
  stateVersion = 0;
  auditSeq = 0;
  /** Seqs committed here and already published, not yet passed by `auditSeq`. */
  private readonly ownSeqs = new Set<number>();
  private readonly ownVersions = new Set<number>();
  private client?: pg.Client;
  private closed = false;
  private reading?: Promise<void>;
  private dirty = false;
  private notice?: ChangeNotice;
  private readonly backoff = new Backoff(100, 5000);
  private readonly connectedListeners = new Set<(connected: boolean) => void>();
  /** Other channels heard on the same dedicated connection (the acknowledgement figures). */
  private readonly channels = new Map<string, (payload: string) => void>();
  /** Whether the LISTEN connection is up (readiness). */
  listening = false;
  /** When the last catch-up read finished (performance.now()). */
  caughtUpAt = 0;

  constructor(private readonly deps: PgChangeBusDeps) {}

  /** Reads where the log stands and connects the listener; resolves once it LISTENs. */
  async start(): Promise<void> {
    const [sv, head] = await Promise.all([currentStateVersion(this.deps.db), auditHead(this.deps.db)]);
    this.stateVersion = sv;
    this.auditSeq = head?.seq ?? 0;
    await this.connect();
  }

  publish(event: ChangeEvent): void {
    if (!event.remote) {
      if (event.type === 'flag') this.ownVersions.add(event.stateVersion);
      else this.ownSeqs.add(event.entry.seq);
      this.queueNotice(event);
    }
    this.local.publish(event);
  }

  subscribe(listener: ChangeListener): () => void {
    return this.local.subscribe(listener);
  }

  /** Also LISTENs on `channel` over the same dedicated connection; `handler` gets each payload. */
  async listen(channel: string, handler: (payload: string) => void): Promise<void> {
    this.channels.set(channel, handler);
    await this.client?.query(`LISTEN ${channel}`).catch(() => undefined); // else on the next connect
  }

  /** Called with true when the listener connects (after its catch-up read), false when it drops. */
  onConnection(listener: (connected: boolean) => void): () => void {
    this.connectedListeners.add(listener);
    return () => this.connectedListeners.delete(listener);
  }

  /** Reads what other replicas committed since the last version seen; one read in flight, bursts fold. */
  catchUp(): Promise<void> {
    if (this.reading) {
      this.dirty = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.dirty = false;
        await this.readOnce();
      } while (this.dirty && !this.closed);
      this.caughtUpAt = performance.now();
    })().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flushNotice();
    const c = this.client;
    this.client = undefined;
    this.listening = false;
    await c?.end().catch(() => undefined);
    await this.reading?.catch(() => undefined);
  }

  /** What /readyz says while this replica may miss other replicas' changes; null when it hears them. */
  lag(): string | null {
    if (this.closed) return null;
    if (!this.listening) return 'the LISTEN connection to PostgreSQL is down (reconnecting with backoff; it catches up from state version ' + this.stateVersion + ' when back)';
    return null;
  }

  /** For tests: the listener's backend pid (to cut it with pg_terminate_backend). */
  listenerPid(): number | undefined {
    return (this.client as unknown as { processID?: number } | undefined)?.processID;
  }

  // One NOTIFY per turn of the event loop however many events one commit (or a burst) published.
  private queueNotice(event: ChangeEvent): void {
    const sv = event.type === 'flag' ? event.stateVersion : 0;
    const seq = event.type === 'audit' ? event.entry.seq : 0;
    if (this.notice) {
      this.notice.sv = Math.max(this.notice.sv, sv);
      this.notice.seq = Math.max(this.notice.seq, seq);
      return;
    }
    this.notice = { r: this.deps.replicaId, sv, seq };
    setImmediate(() => void this.flushNotice());
  }

  private async flushNotice(): Promise<void> {
    const n = this.notice;
    if (!n) return;
    this.notice = undefined;
    try {
      await sql`select pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(n)})`.execute(this.deps.db);
    } catch (err) {
      // The others read by version on their next notice or heartbeat: nothing is lost, only later.
      this.deps.log.warn({ err }, 'cluster: NOTIFY of a committed change failed; other replicas catch up on their next heartbeat');
    }
  }

  private async connect(): Promise<void> {
    while (!this.closed) {
      const client = new pg.Client({ connectionString: this.deps.databaseUrl });
      client.on('error', () => undefined); // 'end' follows and reconnects
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANGES_CHANNEL}`);
        for (const ch of this.channels.keys()) await client.query(`LISTEN ${ch}`);
      } catch (err) {
        await client.end().catch(() => undefined);
        const ms = this.backoff.next();
        this.deps.log.warn({ err, retryInMs: ms }, 'cluster: change listener cannot connect; retrying');
        await new Promise((r) => setTimeout(r, ms).unref());
        continue;
      }
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      client.on('notification', (m) => this.onNotification(m));
      client.once('end', () => {
        if (this.client !== client) return;
        this.client = undefined;
        this.listening = false;
        for (const l of this.connectedListeners) l(false);
        if (this.closed) return;
        this.deps.log.warn('cluster: change listener connection lost; reconnecting and catching up from the last state version');
        void this.connect();
      });
      // Whatever committed while we were not listening: read from the last version seen.
      await this.catchUp().catch((err: unknown) => this.deps.log.warn({ err }, 'cluster: catch-up after connecting failed; retried on the next notice or heartbeat'));
      this.backoff.reset();
      this.listening = true;
      for (const l of this.connectedListeners) l(true);
      return;
    }
  }

  private onNotification(m: pg.Notification): void {
    if (m.channel !== CHANGES_CHANNEL) {
      this.channels.get(m.channel)?.(m.payload ?? '');
      return;
    }
    try {
      const n = JSON.parse(m.payload ?? '{}') as Partial<ChangeNotice>;
      if (n.r === this.deps.replicaId) return;
    } catch {
      // Not ours to parse: read anyway, the read is by version.
    }
    this.catchUp().catch((err: unknown) => this.deps.log.warn({ err }, 'cluster: reading changes from other replicas failed; retried on the next notice or heartbeat'));
  }

  /** Flags first (push should not wait behind audit fan-out), each in state-version order, then audit entries in seq order. */
  private async readOnce(): Promise<void> {
    const batch = this.deps.batch ?? 500;
    // Both reads at once (one round trip, not two). A commit between them shows in one and not
    // yet the other; the next read brings the rest, since both are by version.
    // Every environment's rows: each replica's feeds read their own environment's (server/push/state-feed.ts).
    const [rows, audit] = await Promise.all([flagRowsOfEveryEnvironmentChangedSince(this.deps.db, this.stateVersion), auditRowsAfter(this.deps.db, this.auditSeq, batch)]);
    if (this.closed) return;
    const actions = new Map<string, string>();
    for (const a of audit) if (a.flag) actions.set(a.flag, a.action);
    // One state version may cover rows of several environments (a new flag, a shared column): each is announced, with its environment.
    const from = this.stateVersion;
    for (const row of rows) {
      if (row.state_version <= from) continue;
      if (row.state_version > this.stateVersion) this.stateVersion = row.state_version;
      if (this.ownVersions.has(row.state_version)) continue;
      this.local.publish({ type: 'flag', key: row.key, stateVersion: row.state_version, flagVersion: row.version, action: actions.get(row.key) ?? AuditAction.FlagUpdate, environment: row.environment, remote: true });
    }
    for (const v of this.ownVersions) if (v <= this.stateVersion) this.ownVersions.delete(v);
    for (const a of audit) {
      if (a.seq <= this.auditSeq) continue;
      this.auditSeq = a.seq;
      if (this.ownSeqs.delete(a.seq)) continue;
      this.local.publish({ type: 'audit', entry: toAuditEntry(a), remote: true });
    }
    for (const s of this.ownSeqs) if (s <= this.auditSeq) this.ownSeqs.delete(s);
    if (audit.length === batch) this.dirty = true;
  }
}
