import { describe, expect, it } from 'vitest';
import { acknowledgedAt, behind, figuresIn, histogram, parseFigures } from './ack-figures.js';

describe('acknowledgement figures', () => {
  it('counts each applied version once, newest first', () => {
    expect(histogram([7, 9, 9, 7, 9, 3])).toEqual([[9, 3], [7, 2], [3, 1]]);
  });

  it('an SDK counts as acknowledged for every state version up to the one it applied', () => {
    const h = histogram([7, 9, 9, 3]);
    expect(acknowledgedAt(h, 9)).toBe(2);
    expect(acknowledgedAt(h, 8)).toBe(2);
    expect(acknowledgedAt(h, 7)).toBe(3);
    expect(acknowledgedAt(h, 1)).toBe(4);
    expect(acknowledgedAt(h, 10)).toBe(0);
  });

  it('folding old versions past the cap never counts an SDK as having a version it lacks', () => {
    const versions = Array.from({ length: 100 }, (_, i) => i + 1);
    const h = histogram(versions, 10);
    expect(h).toHaveLength(10);
    expect(h.reduce((n, [, c]) => n + c, 0)).toBe(100);
    for (let sv = 1; sv <= 101; sv++) expect(acknowledgedAt(h, sv)).toBeLessThanOrEqual(101 - sv);
    expect(acknowledgedAt(h, 92)).toBe(9);
    expect(acknowledgedAt(h, 1)).toBe(100);
  });

  it('a hundred thousand SDKs on many versions still fit a NOTIFY payload', () => {
    const h = histogram(Array.from({ length: 100_000 }, (_, i) => 1_000_000 + (i % 500)));
    expect(JSON.stringify({ n: 1, connected: 100_000, applied: h }).length).toBeLessThan(8000);
  });

  it('refuses text that is not figures', () => {
    expect(parseFigures('nope')).toBeUndefined();
    expect(parseFigures('{"n":1}')).toBeUndefined();
    expect(parseFigures('{"n":2,"connected":3,"applied":[[5,3],"x"]}')).toEqual({ n: 2, connected: 3, applied: [[5, 3]] });
  });

  it('carries the SDKs closed as unresponsive through a notice, and counts those that had not applied a version', () => {
    const text = JSON.stringify({ n: 4, connected: 2, applied: [[9, 2]], unresponsive: histogram([3, 7, 7, 9]) });
    const f = parseFigures(text)!;
    expect(f.unresponsive).toEqual([[9, 1], [7, 2], [3, 1]]);
    expect(behind(f.unresponsive, 9)).toBe(3);
    expect(behind(f.unresponsive, 4)).toBe(1);
    expect(behind(parseFigures('{"n":1,"connected":0,"applied":[]}')!.unresponsive, 9)).toBe(0);
  });

  it('figures per environment are read per environment; a replica from before environments counts for the default one only', () => {
    const f = parseFigures('{"n":3,"connected":2,"applied":[[9,2]],"e":{"production":[2,[[9,2]]],"staging":[1,[[7,1]]],"bad":"x"}}')!;
    expect(f.e).toEqual({ production: [2, [[9, 2]]], staging: [1, [[7, 1]]] });
    expect(figuresIn(f, 'staging', 'production')).toEqual({ connected: 1, applied: [[7, 1]] });
    expect(figuresIn(f, 'development', 'production')).toEqual({ connected: 0, applied: [] });
    const old = parseFigures('{"n":1,"connected":4,"applied":[[5,4]]}')!;
    expect(figuresIn(old, 'production', 'production')).toEqual({ n: 1, connected: 4, applied: [[5, 4]] });
    expect(figuresIn(old, 'staging', 'production')).toEqual({ connected: 0, applied: [] });
  });

  it('an environment carries its own SDKs closed as unresponsive through a notice', () => {
    const f = parseFigures(JSON.stringify({ n: 5, connected: 0, applied: [], e: { staging: [1, [[9, 1]], histogram([4, 9])] } }))!;
    const staging = figuresIn(f, 'staging', 'production');
    expect(behind(staging.unresponsive, 9)).toBe(1);
    expect(figuresIn(f, 'production', 'production').unresponsive).toBeUndefined();
  });
});
