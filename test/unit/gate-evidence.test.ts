import { describe, expect, it } from 'vitest';
import {
  convergence, convergenceText, evidenceLine, figure, lapsedSignoffs, lapsedText, metricEvidence, notAppliedText, outcomeWords, placement, safeSide,
  snapshotLine, snapshotOf,
} from '../../admin-ui/src/evidence.js';
import type { Gate } from '../../admin-ui/src/types.js';

// The gate shapes of issue 15 (the contract in docs/rollouts.md), as the admin UI words them.
const relative: Gate = {
  gate: 'metric', ok: false, metric: 'eval_score', detail: 'server words', outcome: 'inconclusive', kind: 'relative', estimate: -0.003876,
  interval: [-0.05894, 0.05119], n: 60, minSamples: 30, confidence: 0.95, limit: -0.05, moreSamples: 180,
};
const absolute: Gate = {
  gate: 'metric', ok: false, metric: 'error_rate', detail: 'server words', outcome: 'breach', kind: 'absolute', op: '<', estimate: 0.03,
  interval: [0.0272, 0.0328], n: 50, minSamples: 30, confidence: 0.95, limit: 0.01, moreSamples: null,
};

describe('the evidence of a gate, in words (admin UI)', () => {
  it('relative figures read as signed percentages and absolute ones as numbers', () => {
    expect(figure('relative', -0.012)).toBe('−1.2%');
    expect(figure('relative', -0.05)).toBe('−5%');
    expect(figure('relative', 0.0385)).toBe('+3.85%');
    expect(figure('relative', 0)).toBe('0%');
    expect(figure('absolute', 2500)).toBe('2500');
    expect(figure('absolute', null)).toBe('—');
  });

  it('an inconclusive check says about how many more samples it needs at this rate', () => {
    const e = metricEvidence(relative)!;
    expect(outcomeWords(e)).toBe('inconclusive: about 180 more samples at this rate');
    expect(evidenceLine(e)).toBe('estimate −0.388% · 95% interval [−5.89%, +5.12%] · limit −5% · n = 60, at least 30');
  });

  it('a check below its minimum sample count says how many are still needed, whatever the interval', () => {
    const e = metricEvidence({ ...relative, n: 1, interval: null, moreSamples: null })!;
    expect(outcomeWords(e)).toBe('inconclusive: 1 of at least 30 samples, 29 more needed before it can decide');
    expect(evidenceLine(e)).toContain('95% interval not yet known');
  });

  it('pass and breach are said as what the interval did, with the comparison of an absolute limit', () => {
    expect(outcomeWords(metricEvidence({ ...relative, outcome: 'pass', ok: true })!)).toBe('pass: the whole interval is on the safe side of the limit');
    const b = metricEvidence(absolute)!;
    expect(outcomeWords(b)).toBe('breach: the whole interval is past the limit');
    expect(evidenceLine(b)).toBe('estimate 0.03 · 95% interval [0.0272, 0.0328] · limit < 0.01 · n = 50, at least 30');
    expect(evidenceLine(metricEvidence({ ...relative, controlN: 300 })!)).toContain('n = 60 (control 300)');
  });

  it('a metric gate from a server without evidence has none, and a gate of another kind neither', () => {
    expect(metricEvidence({ gate: 'metric', ok: true, detail: 'x', metric: 'm', observed: 1, threshold: 2 })).toBeNull();
    expect(metricEvidence({ gate: 'soak', ok: true, detail: 'x' })).toBeNull();
  });

  it('the drawing puts the limit on the safe side the check needs and keeps every point inside the axis', () => {
    expect(safeSide({ kind: 'relative' })).toBe('above');
    expect(safeSide({ kind: 'absolute', op: '<=' })).toBe('below');
    expect(safeSide({ kind: 'absolute', op: '>' })).toBe('above');
    const p = placement(metricEvidence(relative)!)!;
    for (const v of [p.lo, p.hi, p.est, p.limit]) expect(v! > 0 && v! < 1).toBe(true);
    expect(p.lo! < p.est! && p.est! < p.hi!).toBe(true);
    expect(p.lo! < p.limit! && p.limit! < p.hi!).toBe(true); // inconclusive: the interval straddles the limit
  });

  it('a lapsed sign-off reads "sign-off by bob lapsed: eval_score turned inconclusive at 10:02"', () => {
    const at = new Date(2026, 5, 1, 10, 2).toISOString(); // 10:02 local time, as the browser shows it
    const g: Gate = { gate: 'signoff', ok: false, detail: '', lapsed: [{ actor: 'bob', at, metric: 'eval_score', outcome: 'inconclusive' }] };
    expect(lapsedSignoffs(g).map(lapsedText)).toEqual(['sign-off by bob lapsed: eval_score turned inconclusive at 10:02']);
    expect(lapsedText({ actor: 'bob', at, metric: 'x', outcome: 'breach', reason: 'the server says so' })).toBe('the server says so');
  });

  it('convergence says how many connected SDKs applied the stage against what it needs, and who has not', () => {
    const c = convergence({ gate: 'convergence' as Gate['gate'], ok: false, detail: '', minApplied: 99, applied: 97, connected: 100, percentApplied: 97, notApplied: [{ id: 'c1', name: 'checkout-api', replica: 'b', stateVersion: 41 }] })!;
    expect(convergenceText(c)).toBe('Applied by 97 of 100 connected SDKs (97%; needs 99%)');
    expect(c.notApplied.map(notAppliedText)).toEqual(['checkout-api (replica b) is at version 41']);
    expect(convergenceText({ ...c, applied: 0, connected: 0, percentApplied: null })).toBe('No SDK is connected right now: nothing to wait for (needs 99% of connected SDKs)');
  });

  it('the snapshot a sign-off would sign holds every metric check of the gates, and nothing else', () => {
    const snap = snapshotOf([relative, absolute, { gate: 'soak', ok: true, detail: '' }], 3);
    expect(snap.planVersion).toBe(3);
    expect(snap.checks.map(snapshotLine)).toEqual([
      'eval_score: inconclusive, estimate −0.388%, interval [−5.89%, +5.12%], n = 60',
      'error_rate: breach, estimate 0.03, interval [0.0272, 0.0328], n = 50',
    ]);
  });
});
