/** A rollout preview's answer in words: "user-42 gets v2: in the 5% rollout (bucket 312 of 10000)". */
import { BUCKETS, rolloutThreshold } from '@switchyard-flags/sdk/bucket';
import type { Evaluation, EvaluationContext } from '@switchyard-flags/sdk/protocol';
import { pct } from '../../format.js';

/** GET /api/flags/:key/preview */
export interface PreviewResult extends Evaluation {
  flag: string;
  stage: number;
  percent: number;
  context: EvaluationContext;
}

/** Strings as they are (`v2`), anything else as JSON (`true`, `{"model":"x"}`). */
export const valueText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function why(r: PreviewResult): string {
  const rollout = `the ${pct(r.percent)} rollout`;
  switch (r.reason) {
    case 'KILLED':
      return 'the flag is killed, so everyone gets the off value';
    case 'COHORT_MISS':
      return 'not in the cohort: the plan’s cohort rules do not all hold for these attributes';
    case 'NOT_STARTED':
      return 'the rollout has not started (0%), so everyone gets the off value';
    case 'ROLLOUT_IN':
      return r.bucket === undefined ? `in ${rollout}: everyone in the cohort is in` : `in ${rollout} (bucket ${r.bucket} of ${BUCKETS})`;
    case 'ROLLOUT_OUT':
      return `outside ${rollout} (bucket ${r.bucket ?? '?'} of ${BUCKETS}; only buckets below ${rolloutThreshold(r.percent)} are in)`;
    case 'FLAG_NOT_FOUND':
      return 'the flag does not exist for SDKs, so apps get their own fallback';
    default:
      return r.errorCode === 'TARGETING_KEY_MISSING'
        ? `a partial rollout needs a user key to pick a bucket, so the off value is served`
        : `evaluation failed (${r.errorCode ?? 'error'}), so the off value is served`;
  }
}

/** The sentence; `who` names the context when it has no key. */
export function previewSentence(r: PreviewResult): string {
  const key = r.context.key;
  const who = typeof key === 'string' && key ? key : typeof key === 'number' ? String(key) : 'A user without a key';
  return `${who} gets ${valueText(r.value)}: ${why(r)}`;
}

/** `name=value` lines to `name:value` query attributes; returns the lines that are not `name=value`. */
export function parseAttributes(text: string): { attrs: string[]; bad: string[] } {
  const attrs: string[] = [];
  const bad: string[] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const i = line.indexOf('=');
    if (i <= 0) bad.push(line);
    else attrs.push(`${line.slice(0, i).trim()}:${line.slice(i + 1).trim()}`);
  }
  return { attrs, bad };
}
