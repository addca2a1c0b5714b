import { envOr, type EnvDeps } from '../environments/default-environment.js';
import { AuditAction, type AuditEntry } from '@switchyard-flags/sdk/api';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ChangeBus } from '../changes.js';
import type { Db } from '../storage/schema.js';
import { latestCheckpoint } from '../audit/checkpoint-store.js';
import type { AuditCheckpoint } from '../audit/checkpoint-sign.js';
import { getFlagRow } from '../flags/flag-store.js';
import type { Logger } from '../log.js';
import type { Clock } from '../clock.js';
import { storedPlan } from './plan-schema.js';
import { resolveDestination, WebhookRefused, type AllowEntry, type LookupFn } from './webhook-destination.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature.js';

/** The audit actions a webhook hears about. */
export const NOTIFIED_ACTIONS = new Set<string>([
  AuditAction.RolloutAdvance,
  AuditAction.RolloutRollback,
  AuditAction.RolloutPause,
  AuditAction.RolloutResume,
  AuditAction.RolloutGuardrailTrip,
  AuditAction.FlagKill,
  AuditAction.FlagRestore,
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

export interface WebhookDeps extends EnvDeps {
  db: Db;
  log: Logger;
  /** Server-wide URL; a plan's own `webhookUrl` is notified as well. */
  url?: string;
  /** Signs every delivery (webhook-signature.ts). */
  secret: string;
  /** Internal destinations an admin allows (`WEBHOOK_ALLOW`); every other internal one is refused. */
  allow?: readonly AllowEntry[];
  clock?: Clock;
  timeoutMs?: number;
  /** DNS for deliveries (tests hand in their own). */
  lookup?: LookupFn;
}

/** One POST to the checked address, never to what DNS might answer next; redirects are not followed. */
function send(u: URL, dest: { address: string; family: number }, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) (cb as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [dest]);
    else cb(null, dest.address, dest.family);
  };
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(
      u,
      // No pooled socket (agent: false): every delivery opens its own connection to the address just checked.
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup: pinned, agent: false, signal: AbortSignal.timeout(timeoutMs) },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
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
      // Delivered by the replica that committed the change, never by the others that hear of it.
      if (ev.type !== 'audit' || ev.remote || !ev.entry.flag || !NOTIFIED_ACTIONS.has(ev.entry.action)) return;
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
    const row = await getFlagRow(this.deps.db, entry.environment ?? envOr(this.deps, undefined), entry.flag!);
    const urls = [...new Set([storedPlan(row?.plan ?? null)?.webhookUrl, this.deps.url].filter((u): u is string => !!u))];
    if (urls.length === 0) return;
    const body = JSON.stringify({ ...noticeOf(entry), auditHash: entry.hash, checkpoint: await latestCheckpoint(this.deps.db) });
    await Promise.all(urls.map((u) => this.post(u, body, entry)));
  }

  private async post(url: string, body: string, entry: AuditEntry): Promise<void> {
    // Only the origin is logged: webhook paths often carry a secret.
    const u = new URL(url);
    const where = u.origin;
    try {
      // Resolved and checked on every delivery (DNS may have changed since the URL was stored).
      const dest = await resolveDestination(u, this.deps.allow ?? [], this.deps.lookup);
      const timestamp = String(Math.floor((this.deps.clock?.() ?? new Date()).getTime() / 1000));
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'switchyard-webhook',
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: webhookSignature(this.deps.secret, timestamp, body),
      };
      const status = await send(u, dest, headers, body, this.deps.timeoutMs ?? 5000);
      if (status < 200 || status > 299) this.deps.log.warn({ webhook: where, status, action: entry.action, flag: entry.flag }, `webhook answered ${status}`);
    } catch (err) {
      if (err instanceof WebhookRefused) {
        this.deps.log.warn({ webhook: where, action: entry.action, flag: entry.flag, error: err.message }, 'webhook refused: internal destination (not in WEBHOOK_ALLOW)');
      } else {
        this.deps.log.warn({ webhook: where, action: entry.action, flag: entry.flag, error: (err as Error).message }, 'webhook failed');
      }
    }
  }
}
