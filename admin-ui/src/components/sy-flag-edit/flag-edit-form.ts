/** Reading the flag edit form: the patch it asks for, client-side JSON errors, and what changed under you. */
import { json } from '../../format.js';
import type { FlagView, Json } from '../../types.js';

export const FIELDS = ['description', 'owner', 'tags', 'on', 'off', 'maxStaleSeconds'] as const;
export type Field = (typeof FIELDS)[number];

export const LABELS: Record<Field, string> = {
  description: 'Description',
  owner: 'Owner',
  tags: 'Tags',
  on: 'Value when on',
  off: 'Value when off',
  maxStaleSeconds: 'Fail-safe lease (s)',
};

export type Patch = Partial<Pick<FlagView, 'description' | 'owner' | 'tags' | 'on' | 'off' | 'maxStaleSeconds'>>;

/** The form's text for a field of a flag. */
export function shown(f: FlagView, k: Field): string {
  if (k === 'tags') return f.tags.join(', ');
  if (k === 'on' || k === 'off') return JSON.stringify(f[k]);
  if (k === 'maxStaleSeconds') return f.maxStaleSeconds == null ? '' : String(f.maxStaleSeconds);
  return f[k];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The fields that differ from `base`, or the fields whose text is not valid JSON. Values must be
 * JSON: a bare `v2` is refused rather than guessed to mean the string "v2".
 */
export function readPatch(base: FlagView, text: (k: Field) => string): { patch: Patch; errors: Partial<Record<Field, string>> } {
  const patch: Patch = {};
  const errors: Partial<Record<Field, string>> = {};
  const description = text('description');
  if (description !== base.description) patch.description = description;
  const owner = text('owner').trim();
  if (owner !== base.owner) patch.owner = owner;
  const tags = text('tags').split(',').map((t) => t.trim()).filter(Boolean);
  if (!same(tags, base.tags)) patch.tags = tags;
  for (const k of ['on', 'off'] as const) {
    const raw = text(k).trim();
    let v: Json;
    try {
      v = JSON.parse(raw) as Json;
    } catch {
      errors[k] = `not valid JSON: write true or false, a number, or a string in double quotes, like "v2"`;
      continue;
    }
    if (!same(v, base[k])) patch[k] = v;
  }
  // The fail-safe lease: empty for none; the server checks the range (1 s to 7 days).
  const lease = text('maxStaleSeconds').trim();
  if (lease !== '' && !/^\d+$/.test(lease)) errors.maxStaleSeconds = 'a whole number of seconds, or empty for no lease';
  else if ((lease === '' ? null : Number(lease)) !== (base.maxStaleSeconds ?? null)) patch.maxStaleSeconds = lease === '' ? null : Number(lease);
  return { patch, errors };
}

/** The editable fields on which `latest` differs from `base`, with both values as text. */
export function changedUnder(base: FlagView, latest: FlagView): Array<{ field: Field; before: string; after: string }> {
  return FIELDS.filter((k) => !same(base[k], latest[k])).map((k) => ({
    field: k,
    before: k === 'on' || k === 'off' ? json(base[k]) : shown(base, k),
    after: k === 'on' || k === 'off' ? json(latest[k]) : shown(latest, k),
  }));
}
