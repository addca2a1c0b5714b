/**
 * The evidence a gate carries (issue 15), as the gate list shows it: the shapes the server adds to
 * a metric gate, a sign-off gate and the convergence gate (docs/rollouts.md), read defensively from
 * `Gate`'s open fields, and the words for each. Pure: unit-tested in test/unit/gate-evidence.test.ts.
 */
import { num } from './format.js';
import type { Gate } from './types.js';

export type Outcome = 'pass' | 'breach' | 'inconclusive';

/** A metric gate decided on evidence: estimate and interval against the limit, n, the outcome. */
export interface MetricEvidence {
  metric: string;
  outcome: Outcome;
  kind: 'absolute' | 'relative';
  estimate: number | null;
  interval: [number, number] | null;
  n: number;
  controlN?: number;
  minSamples?: number;
  confidence?: number;
  limit: number | null;
  /** Absolute checks: the comparison the mean must satisfy (`<=` …); relative: must stay above the limit. */
  op?: string;
  moreSamples?: number | null;
}

export interface LapsedSignoff {
  actor: string;
  at: string;
  metric: string;
  outcome: Outcome | string;
  reason?: string;
}

export interface NotApplied {
  id: string;
  name?: string;
  replica?: string;
  stateVersion: number;
}

export interface Convergence {
  minApplied: number;
  applied: number;
  connected: number;
  percentApplied: number | null;
  notApplied: NotApplied[];
}

/** What a sign-off signs: each covered check as the PM saw it, and the plan version. */
export interface SnapshotCheck {
  metric: string;
  outcome: Outcome | string;
  estimate: number | null;
  interval: [number, number] | null;
  n: number;
  kind?: 'absolute' | 'relative';
}
export interface SignoffSnapshot {
  planVersion: number;
  checks: SnapshotCheck[];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && isNum(v[0]) && isNum(v[1]);

/** The evidence of a metric gate, or null for a gate from a server that does not send it. */
export function metricEvidence(g: Gate): MetricEvidence | null {
  if (g.gate !== 'metric' || typeof g.outcome !== 'string') return null;
  const outcome = g.outcome === 'pass' || g.outcome === 'breach' ? g.outcome : 'inconclusive';
  return {
    metric: String(g.metric ?? ''),
    outcome,
    kind: g.kind === 'relative' ? 'relative' : 'absolute',
    estimate: isNum(g.estimate) ? g.estimate : null,
    interval: isPair(g.interval) ? g.interval : null,
    n: isNum(g.n) ? g.n : 0,
    ...(isNum(g.controlN) ? { controlN: g.controlN } : {}),
    ...(isNum(g.minSamples) ? { minSamples: g.minSamples } : {}),
    ...(isNum(g.confidence) ? { confidence: g.confidence } : {}),
    limit: isNum(g.limit) ? g.limit : null,
    ...(typeof g.op === 'string' ? { op: g.op } : {}),
    ...(isNum(g.moreSamples) || g.moreSamples === null ? { moreSamples: g.moreSamples as number | null } : {}),
  };
}

/** A figure of a check: relative ones as a signed percentage ("−1.2%"), absolute ones as numbers. */
export function figure(kind: 'absolute' | 'relative' | undefined, v: number | null | undefined): string {
  if (!isNum(v)) return '—';
  if (kind !== 'relative') return num(v);
  const p = Number((Math.abs(v) * 100).toPrecision(3));
  return `${v < 0 && p !== 0 ? '−' : p !== 0 && v > 0 ? '+' : ''}${p}%`;
}

export const OUTCOME_LABEL: Record<Outcome, string> = { pass: 'Pass', breach: 'Breach', inconclusive: 'Inconclusive' };

/** The outcome in words: "pass", "breach", "inconclusive: about 180 more samples at this rate". */
export function outcomeWords(e: MetricEvidence): string {
  if (e.outcome === 'pass') return 'pass: the whole interval is on the safe side of the limit';
  if (e.outcome === 'breach') return 'breach: the whole interval is past the limit';
  if (e.minSamples !== undefined && e.n < e.minSamples) {
    return `inconclusive: ${e.n} of at least ${e.minSamples} samples, ${e.minSamples - e.n} more needed before it can decide`;
  }
  if (isNum(e.moreSamples) && e.moreSamples > 0) return `inconclusive: about ${Math.round(e.moreSamples)} more samples at this rate`;
  return 'inconclusive: the interval still straddles the limit';
}

/** The numbers in one line: "estimate −1.2% · 95% interval [−3.1%, +0.5%] · limit −5% · n = 240 (control 300)". */
export function evidenceLine(e: MetricEvidence): string {
  const conf = e.confidence !== undefined ? `${Number((e.confidence * 100).toPrecision(3))}% ` : '';
  const parts = [`estimate ${figure(e.kind, e.estimate)}`];
  parts.push(e.interval ? `${conf}interval [${figure(e.kind, e.interval[0])}, ${figure(e.kind, e.interval[1])}]` : `${conf}interval not yet known`);
  parts.push(`limit ${e.op && e.kind === 'absolute' ? `${e.op} ` : ''}${figure(e.kind, e.limit)}`);
  parts.push(`n = ${e.n}${e.controlN !== undefined ? ` (control ${e.controlN})` : ''}${e.minSamples !== undefined ? `, at least ${e.minSamples}` : ''}`);
  return parts.join(' · ');
}

/** Whether a value on the safe side of the limit is above it (relative checks; `>=`/`>`), below (`<=`/`<`), or unknown. */
export function safeSide(e: Pick<MetricEvidence, 'kind' | 'op'>): 'above' | 'below' | null {
  if (e.kind === 'relative') return 'above';
  if (e.op === '<=' || e.op === '<') return 'below';
  if (e.op === '>=' || e.op === '>') return 'above';
  return null;
}

const hhmm = (iso: string) => {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
};

export function lapsedSignoffs(g: Gate): LapsedSignoff[] {
  return g.gate === 'signoff' && Array.isArray(g.lapsed) ? (g.lapsed as LapsedSignoff[]).filter((l) => l && typeof l.actor === 'string') : [];
}

/** "sign-off by bob lapsed: eval_score turned inconclusive at 10:02" (the server's words when it sends them). */
export function lapsedText(l: LapsedSignoff): string {
  return l.reason || `sign-off by ${l.actor} lapsed: ${l.metric} turned ${l.outcome} at ${hhmm(l.at)}`;
}

export function convergence(g: Gate): Convergence | null {
  if ((g.gate as string) !== 'convergence' || !isNum(g.connected) || !isNum(g.applied)) return null;
  return {
    minApplied: isNum(g.minApplied) ? g.minApplied : 99,
    applied: g.applied,
    connected: g.connected,
    percentApplied: isNum(g.percentApplied) ? g.percentApplied : g.connected ? (100 * g.applied) / g.connected : null,
    notApplied: Array.isArray(g.notApplied) ? (g.notApplied as NotApplied[]) : [],
  };
}

/** "Applied by 97 of 100 connected SDKs (97%; needs 99%)", or that none is connected. */
export function convergenceText(c: Convergence): string {
  if (c.connected === 0) return `No SDK is connected right now: nothing to wait for (needs ${c.minApplied}% of connected SDKs)`;
  const p = c.percentApplied ?? (100 * c.applied) / c.connected;
  return `Applied by ${c.applied} of ${c.connected} connected SDKs (${Number(p.toFixed(1))}%; needs ${c.minApplied}%)`;
}

/** One SDK that has not applied the stage: "checkout-api (replica b) is at version 41". */
export function notAppliedText(s: NotApplied): string {
  return `${s.name || s.id}${s.replica ? ` (replica ${s.replica})` : ''} is at version ${s.stateVersion}`;
}

/** The snapshot a sign-off given now would record: each metric check of the next stage as shown. */
export function snapshotOf(gates: Gate[], planVersion: number): SignoffSnapshot {
  const checks = gates.map(metricEvidence).filter((e): e is MetricEvidence => e !== null);
  return { planVersion, checks: checks.map((e) => ({ metric: e.metric, outcome: e.outcome, estimate: e.estimate, interval: e.interval, n: e.n, kind: e.kind })) };
}

/** One check of a snapshot: "eval_score: pass, estimate −1.2%, interval [−3.1%, +0.5%], n = 240". */
export function snapshotLine(c: SnapshotCheck): string {
  const iv = c.interval ? `, interval [${figure(c.kind, c.interval[0])}, ${figure(c.kind, c.interval[1])}]` : '';
  return `${c.metric}: ${c.outcome}, estimate ${figure(c.kind, c.estimate)}${iv}, n = ${c.n}`;
}

/**
 * Where to draw a check on a 0..1 axis: the interval, the estimate and the limit, with room around
 * them. Null when there is nothing to place.
 */
export function placement(e: MetricEvidence): { lo: number | null; hi: number | null; est: number | null; limit: number | null } | null {
  const pts = [e.estimate, e.limit, ...(e.interval ?? [])].filter(isNum);
  if (!pts.length) return null;
  let min = Math.min(...pts);
  let max = Math.max(...pts);
  const pad = (max - min) * 0.15 || Math.abs(max) * 0.1 || 1;
  min -= pad;
  max += pad;
  const at = (v: number | null | undefined) => (isNum(v) ? (v - min) / (max - min) : null);
  return { lo: at(e.interval?.[0]), hi: at(e.interval?.[1]), est: at(e.estimate), limit: at(e.limit) };
}
