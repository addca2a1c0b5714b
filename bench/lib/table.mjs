// Small helpers shared by the benches: argument parsing, tables, percentiles.

/** `--name=value` / `--flag` options and positional numbers from argv. */
export function args(argv = process.argv.slice(2)) {
  const opts = { _: [] };
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (m) opts[m[1]] = m[2] ?? true;
    else opts._.push(a);
  }
  return opts;
}

/** Prints rows (arrays) under a header as a Markdown table (pasteable into docs/performance.md). */
export function table(title, header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => (c === undefined || c === null ? '—' : String(c))));
  const width = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(cells[0]));
  console.log(`|${width.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`);
  for (const r of cells.slice(1)) console.log(line(r));
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const median = (values) => percentile(values, 50);
export const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
export const nowMs = () => performance.timeOrigin + performance.now();
