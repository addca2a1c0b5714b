/**
 * Does a command's output match what the README claims it prints? A claim is JSON or a line of
 * text. JSON is compared field by field as a subset: fields the README leaves out are not
 * checked; `"…"` stands for any value (ids, hashes, timestamps); `…` inside a string stands for
 * any text; an array ending in `"…"` only fixes its first elements; a number written with k
 * decimals matches what rounds to it. Text is compared line for line, `…` again for any text.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const ANY = '…';

function parseJson(text: string): { ok: true; value: Json } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch {
    return { ok: false };
  }
}

/** The JSON values of an output, one after another (jq prints one per result, pretty or not). */
function jsonValues(output: string): Json[] | undefined {
  const whole = parseJson(output);
  if (whole.ok) return [whole.value];
  const values: Json[] = [];
  let buffer = '';
  for (const line of output.split('\n')) {
    if (buffer === '' && line.trim() === '') continue;
    buffer += line + '\n';
    const v = parseJson(buffer);
    if (v.ok) {
      values.push(v.value);
      buffer = '';
    }
  }
  return buffer.trim() === '' ? values : undefined;
}

function textMatches(claim: string, actual: string): boolean {
  if (!claim.includes(ANY)) return claim === actual;
  const pattern = claim.split(ANY).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`, 's').test(actual);
}

function decimals(n: number): number {
  const m = /\.(\d+)/.exec(String(n));
  return m ? m[1]!.length : 0;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 160 ? `${s.slice(0, 160)}…` : s;
}

/** The differences between a claimed JSON value and the printed one, by path. */
export function jsonDifferences(claim: Json, actual: Json | undefined, path = '$'): string[] {
  if (claim === ANY) return actual === undefined ? [`${path}: missing`] : [];
  if (typeof claim === 'string') {
    return typeof actual === 'string' && textMatches(claim, actual) ? [] : [`${path}: README shows ${show(claim)}, got ${show(actual)}`];
  }
  if (typeof claim === 'number') {
    const ok = typeof actual === 'number' && (decimals(claim) === 0 ? actual === claim : Math.abs(actual - claim) <= 0.5 * 10 ** -decimals(claim) + 1e-12);
    return ok ? [] : [`${path}: README shows ${claim}, got ${show(actual)}`];
  }
  if (Array.isArray(claim)) {
    if (!Array.isArray(actual)) return [`${path}: README shows an array, got ${show(actual)}`];
    const open = claim.length > 0 && claim[claim.length - 1] === ANY;
    const fixed = open ? claim.slice(0, -1) : claim;
    if (open ? actual.length < fixed.length : actual.length !== fixed.length) {
      return [`${path}: README shows ${open ? 'at least ' : ''}${fixed.length} elements, got ${actual.length}: ${show(actual)}`];
    }
    return fixed.flatMap((c, i) => jsonDifferences(c, actual[i], `${path}[${i}]`));
  }
  if (claim !== null && typeof claim === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: README shows an object, got ${show(actual)}`];
    return Object.entries(claim).flatMap(([k, c]) => (k in actual ? jsonDifferences(c, actual[k], `${path}.${k}`) : [`${path}.${k}: missing in ${show(actual)}`]));
  }
  return claim === actual ? [] : [`${path}: README shows ${show(claim)}, got ${show(actual)}`];
}

/** Every way the output differs from the claims; empty when the README is true. */
export function claimDifferences(claims: string[], output: string): string[] {
  if (claims.length === 0) return [];
  const parsed = claims.map(parseJson);
  const broken = claims.find((c, i) => /^[[{]/.test(c) && !parsed[i]!.ok);
  if (broken !== undefined) return [`the claim ${broken} looks like JSON but does not parse: write valid JSON, "…" for values that vary`];
  if (parsed.every((p) => p.ok)) {
    const values = jsonValues(output);
    if (values !== undefined && values.length === claims.length) {
      return values.flatMap((v, i) => jsonDifferences((parsed[i] as { value: Json }).value, v, claims.length > 1 ? `#${i + 1}` : '$'));
    }
  }
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length !== claims.length) return [`README shows ${claims.length} printed value(s), got ${lines.length}: ${show(output)}`];
  return claims.flatMap((claim, i) => {
    const c = parsed[i]!;
    const v = parseJson(lines[i]!);
    if (c.ok && v.ok && typeof c.value === 'object' && c.value !== null) return jsonDifferences(c.value, v.value, `line ${i + 1}`);
    return textMatches(claim, lines[i]!) ? [] : [`line ${i + 1}: README shows ${show(claim)}, got ${show(lines[i])}`];
  });
}
