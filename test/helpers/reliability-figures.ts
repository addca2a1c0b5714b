import fs from 'node:fs';

/** `SOAK=1` runs the long reliability tests bigger (`npm run test:soak`). */
export const SOAK = process.env.SOAK === '1';

/** `small` in `npm test`, `big` under SOAK. */
export function size(small: number, big: number): number {
  return SOAK ? big : small;
}

/**
 * Records a measured figure for docs/reliability.md: printed, and appended as a JSON line to
 * `$RELIABILITY_FIGURES` when set. Figures are reported, never asserted (no timing assertions).
 */
export function figure(name: string, value: unknown): void {
  const line = JSON.stringify({ name, value, soak: SOAK, at: new Date().toISOString() });
  console.log(`[figure] ${name}: ${JSON.stringify(value)}`);
  const file = process.env.RELIABILITY_FIGURES;
  if (file) fs.appendFileSync(file, line + '\n');
}

/** p50, p99 and max of a list of numbers (ms), rounded to 0.1. */
export function summary(xs: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(at(0.5)), p99: r(at(0.99)), max: r(s[s.length - 1] ?? 0) };
}

/** Waits (polling every 5 ms, at most `ms`) until `cond` holds; throws naming `what` otherwise. Never used to wait for time itself. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Per-test timeout: vitest's default in `npm test`, generous under SOAK. */
export const TIMEOUT = SOAK ? 900_000 : 20_000;
