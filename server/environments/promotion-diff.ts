import { createHash } from 'node:crypto';
import type { Json } from '@switchyard-flags/sdk/protocol';
import { canonicalJson } from '../audit/audit-hash.js';

/**
 * What a promotion carries from one environment to the next: the current plan version, the plan
 * (cohort rules, stages with their percentages, sign-offs, soak, checks and guardrails, metric
 * ranges, webhook) and the fail-safe lease (`max_stale_seconds`). Pure: no database, no clock.
 */
/**
 * A stored plan (server/rollout/plan-schema.ts `Plan`), read here as plain JSON field by field:
 * this module imports nothing of the rollout domain (environments/ sits below it).
 */
export type Plan = { webhookUrl?: string; webhookUrlHash?: string } & object;

export interface PlanState {
  planVersion: number;
  plan: Plan | null;
  maxStaleSeconds: number | null;
}

/** One field that differs: `path` as `stages[1].percent`, `from` the target's value today, `to` what the promotion writes. `null`: absent. */
export interface PlanChange {
  path: string;
  from: Json;
  to: Json;
}

/**
 * The SHA-256 (hex) of the state's canonical JSON, its plan version included: a new plan version
 * on either side moves the hash even when its content is the same, so a promotion is bound to the
 * exact version the diff showed (409 `promotion_stale` otherwise).
 */
export function planHash(state: PlanState): string {
  return createHash('sha256').update(canonicalJson(hashable(state))).digest('hex');
}

/** True when the two states carry the same plan and lease, whatever their plan versions. */
export function sameContent(a: Omit<PlanState, 'planVersion'>, b: Omit<PlanState, 'planVersion'>): boolean {
  return canonicalJson(content(a)) === canonicalJson(content(b));
}

function content(s: Omit<PlanState, 'planVersion'>): { plan: Plan | null; maxStaleSeconds: number | null } {
  // The view-only hash of the webhook URL is never part of what a plan is.
  const plan = s.plan ? withoutViewFields(s.plan) : null;
  return { plan, maxStaleSeconds: s.maxStaleSeconds ?? null };
}

function hashable(s: PlanState): { planVersion: number; plan: Plan | null; maxStaleSeconds: number | null } {
  return { planVersion: s.planVersion, ...content(s) };
}

function withoutViewFields(plan: Plan): Plan {
  const { webhookUrlHash: _hidden, ...rest } = plan;
  return rest;
}

/**
 * Every field where `to`'s state differs from `from`'s, as the list of changes a promotion from
 * `source` into `target` would make (`from`: the target's value, `to`: the source's). Objects are
 * compared key by key, arrays of objects (stages, checks, cohort rules) index by index, anything
 * else (numbers, strings, arrays of values) as a whole: a changed split, a dropped check, a new
 * cohort operand, a different lease are each a change. The webhook URL is compared by its hash
 * (`hide`), never shown.
 */
export function diffPlanStates(target: PlanState, source: PlanState, hide: (url: string) => string = hideUrl): PlanChange[] {
  const changes: PlanChange[] = [];
  const t = shown(content(target), hide);
  const s = shown(content(source), hide);
  walk('plan', t.plan, s.plan, changes);
  walk('lease.maxStaleSeconds', t.maxStaleSeconds, s.maxStaleSeconds, changes);
  return changes;
}

function shown(c: { plan: Plan | null; maxStaleSeconds: number | null }, hide: (url: string) => string) {
  if (!c.plan?.webhookUrl) return c;
  const { webhookUrl, ...rest } = c.plan;
  return { ...c, plan: { ...rest, webhookUrl: hide(webhookUrl) } as Plan };
}

function hideUrl(url: string): string {
  return `sha256:${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;
}

type Node = unknown;

function isRecord(v: Node): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isObjectArray(v: Node): v is unknown[] {
  return Array.isArray(v) && v.some((x) => isRecord(x));
}

function walk(path: string, from: Node, to: Node, out: PlanChange[]): void {
  const a = from === undefined ? null : from;
  const b = to === undefined ? null : to;
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) walk(path === 'plan' ? k : `${path}.${k}`, a[k], b[k], out);
    return;
  }
  if ((isObjectArray(a) || isObjectArray(b)) && Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(`${path}[${i}]`, a[i], b[i], out);
    return;
  }
  if (canonicalJson(a) !== canonicalJson(b)) out.push({ path, from: a as Json, to: b as Json });
}
