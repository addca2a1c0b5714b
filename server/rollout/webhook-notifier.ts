import type { AuditEntry } from '../audit/audit-store.js';
import type { ChangeBus } from '../changes.js';
import type { Db } from '../db.js';
import { latestCheckpoint } from '../audit/checkpoint-store.js';
import type { AuditCheckpoint } from '../audit/checkpoint-sign.js';
import { getFlagRow } from '../flags/flag-store.js';
import type { Logger } from '../log.js';
import { storedPlan } from './plan-schema.js';

/** The audit actions a webhook hears about. */
export const NOTIFIED_ACTIONS = new Set([
  'rollout.advance',
  'rollout.rollback',
  'rollout.pause',
  'rollout.resume',
  'rollout.guardrail_trip',
  'flag.kill',
  'flag.restore',
]);

/** The JSON a webhook receives. */
export interface WebhookNotice {
  event: string;
  flag: string;
  at: string;
  actor: string;
  role: string;
  reason: string | null;
  auditSeq: number;
  stage: number | null;
  percent: number | null;
  killed: boolean | null;
  paused: boolean | null;
  planVersion: number | null;
  /** On `rollout.guardrail_trip`: the check, the effect and the sample that tripped it. */
  guardrail?: unknown;
  /** The entry's hash, and the latest signed audit checkpoint: receivers keep copies outside the server. */
  auditHash?: string;
  checkpoint?: AuditCheckpoint | null;
}

export interface WebhookDeps {
  db: Db;
  log: Logger;
  /** Server-wide URL; a plan's own `webhookUrl` is notified as well. */
  url?: string;
  timeoutMs?: number;
}

function noticeOf(e: AuditEntry): WebhookNotice {
  const after = (e.after ?? {}) as Record<string, unknown>;
  const pick = <T>(k: string): T | null => (k in after ? (after[k] as T) : null);
  const n: WebhookNotice = {
    event: e.action,
    flag: e.flag!,
    at: e.at,
    actor: e.actor,
    role: e.role,
    reason: e.reason,
    auditSeq: e.seq,
    stage: pick('stage'),
    percent: pick('percent'),
    killed: pick('killed'),
    paused: pick('paused'),
    planVersion: pick('planVersion'),
  };
  if (after.guardrail !== undefined) n.guardrail = after.guardrail;
  return n;
}

/**
 * Posts a JSON notice of every advance, rollback, pause, resume, guardrail trip, kill and restore,
 * after the change committed. Fire and forget: a slow or failing webhook is logged and never
 * blocks or undoes anything.
 */
export class WebhookNotifier {
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly deps: WebhookDeps) {}

  attach(bus: ChangeBus): () => void {
    return bus.subscribe((ev) => {
      if (ev.type !== 'audit' || !ev.entry.flag || !NOTIFIED_ACTIONS.has(ev.entry.action)) return;
      const p = this.deliver(ev.entry).catch((err: unknown) => this.deps.log.warn({ err, flag: ev.entry.flag }, 'webhook delivery failed'));
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    });
  }

  /** Resolves once every delivery started so far has finished (tests and shutdown). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private async deliver(entry: AuditEntry): Promise<void> {
    const row = await getFlagRow(this.deps.db, entry.flag!);
    const urls = [...new Set([storedPlan(row?.plan ?? null)?.webhookUrl, this.deps.url].filter((u): u is string => !!u))];
    if (urls.length === 0) return;
    const body = JSON.stringify({ ...noticeOf(entry), auditHash: entry.hash, checkpoint: await latestCheckpoint(this.deps.db) });
    await Promise.all(urls.map((u) => this.post(u, body, entry)));
  }

  private async post(url: string, body: string, entry: AuditEntry): Promise<void> {
    // Only the origin is logged: webhook paths often carry a secret.
    const where = new URL(url).origin;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'switchyard-webhook' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.deps.timeoutMs ?? 5000),
      });
      await res.body?.cancel();
      if (!res.ok) this.deps.log.warn({ webhook: where, status: res.status, action: entry.action, flag: entry.flag }, `webhook answered ${res.status}`);
    } catch (err) {
      this.deps.log.warn({ webhook: where, action: entry.action, flag: entry.flag, error: (err as Error).message }, 'webhook failed');
    }
  }
}
