/**
 * Kill or restore many flags at once, for an incident: every flag with a tag (`POST /api/kill`
 * `{tag, reason}`), or every flag (`{all: true, reason}`). The dialog lists the flags the action
 * will change before it runs, and the ones it changed (from the server's answer) after. Like a
 * single kill, it waits briefly (`waitMs`) for SDK acknowledgements and says how far each reached.
 */
import { html, nothing } from 'lit';
import { post } from '../../api.js';
import { inEnvTitle } from '../../environments.js';
import { currentEnv } from '../../place.js';
import { delivery, keyList, plural, WAIT_MS } from './bulk-result.js';
import type { ActionSpec } from './action-spec.js';
import { stageLabel, valueText } from '../../format.js';
import type { BulkKillResult, BulkRestoreResult, FlagListItem } from '../../types.js';
import { undoKillSpec } from './undo-kill.js';

type Flags = () => FlagListItem[];
type Scope = { tag: string } | { all: true };

const inScope = (flags: FlagListItem[], tag: string | undefined) => (tag === undefined ? flags : flags.filter((f) => f.tags.includes(tag)));

function flagList(label: string, flags: FlagListItem[], testid: string, describe: (f: FlagListItem) => string) {
  if (!flags.length) return nothing;
  return html`<div class="flag-list" data-testid=${testid}>
    <strong>${label} (${flags.length})</strong>
    <ul aria-label=${label} tabindex="0">${flags.map((f) => html`<li><span class="mono">${f.key}</span> <span class="muted small">· ${describe(f)}</span></li>`)}</ul>
  </div>`;
}

/** Tags with how many flags carry them, for the dialog's select. */
export function tagOptions(flags: FlagListItem[], count: (fs: FlagListItem[]) => string) {
  const tags = [...new Set(flags.flatMap((f) => f.tags))].sort();
  return tags.map((t) => ({ value: t, label: `${t} (${count(inScope(flags, t))})` }));
}

const scopeText = (tag: string | undefined) => (tag === undefined ? 'every flag' : `every flag tagged “${tag}”`);
const scopeOf = (tag: string | undefined): Scope => (tag === undefined ? { all: true } : { tag });

/** A bulk action runs in the environment chosen in the URL (`/api/envs/:env/kill`), else in the default one. */
const bulkPath = (action: 'kill' | 'restore') => {
  const env = currentEnv();
  return env ? `/api/envs/${encodeURIComponent(env)}/${action}` : `/api/${action}`;
};

/** Kill every flag with a tag (`byTag`), or every flag (`byTag` undefined). */
export function bulkKillSpec(flags: Flags, byTag?: { initial?: string }): ActionSpec {
  const all = byTag === undefined;
  return {
    title: `${all ? 'Kill all flags' : 'Kill every flag with a tag'}${inEnvTitle()}`,
    intro: `Every SDK serves the off value of each flag listed below to everyone, at once, until someone restores it. All are killed in one transaction, or none.`,
    fieldLabel: 'Reason (recorded in the audit trail)',
    fieldHint: 'For example: "model provider outage, INC-2240".',
    submitLabel: all ? 'Kill all flags' : 'Kill flags with this tag',
    danger: true,
    confirm: `I understand that every flag listed will serve its off value to every user${inEnvTitle()} immediately.`,
    choice: all
      ? undefined
      : { label: 'Tag', value: byTag.initial, options: tagOptions(flags(), (fs) => `${plural(fs.length, 'flag')}, ${fs.filter((f) => !f.killed).length} live`) },
    preview: (tag) => {
      const fs = inScope(flags(), all ? undefined : tag);
      const live = fs.filter((f) => !f.killed);
      return html`${live.length
        ? flagList('Will be killed', live, 'will-change', (f) => `${stageLabel(f)}, serves ${valueText(f, 'off')} once killed`)
        : html`<p class="notice info">Nothing to kill: ${scopeText(tag)} is already killed.</p>`}
      ${flagList('Already killed, unchanged', fs.filter((f) => f.killed), 'unchanged', (f) => `killed by ${f.killedBy ?? 'someone'}`)}`;
    },
    async run(reason, tag) {
      const r = await post<BulkKillResult>(bulkPath('kill'), { ...scopeOf(all ? undefined : tag), reason, waitMs: WAIT_MS });
      return {
        message: r.killed.length
          ? `Killed ${plural(r.killed.length, 'flag')}: every user now gets their off values.`
          : `Nothing changed: ${scopeText(all ? undefined : tag)} was already killed.`,
        detail: html`${keyList('Killed', r.killed, 'changed', r.propagation)}${keyList('Already killed, unchanged', r.alreadyKilled, 'unchanged')}`,
        ...delivery(r.propagation, 'Every killed flag'),
        next: r.killId ? { label: 'Undo this kill', spec: undoKillSpec(r.killId, r.killed) } : undefined,
      };
    },
  };
}

/** Restore every killed flag with a tag, or every killed flag. */
export function bulkRestoreSpec(flags: Flags, byTag?: { initial?: string }): ActionSpec {
  const all = byTag === undefined;
  const killedTags = tagOptions(flags(), (fs) => `${fs.filter((f) => f.killed).length} killed`);
  return {
    title: `${all ? 'Restore all killed flags' : 'Restore every flag with a tag'}${inEnvTitle()}`,
    intro: 'Each flag listed goes back to the rollout stage it was at when it was killed.',
    fieldLabel: 'Reason (recorded in the audit trail)',
    submitLabel: all ? 'Restore all flags' : 'Restore flags with this tag',
    confirm: 'I have checked that it is safe to serve these flags again.',
    choice: all ? undefined : { label: 'Tag', value: byTag.initial, options: killedTags },
    preview: (tag) => {
      const fs = inScope(flags(), all ? undefined : tag);
      const killed = fs.filter((f) => f.killed);
      return html`${killed.length
        ? flagList('Will be restored', killed, 'will-change', (f) => `back to ${stageLabel(f).toLowerCase()}; killed by ${f.killedBy ?? 'someone'}${f.killReason ? `: “${f.killReason}”` : ''}`)
        : html`<p class="notice info">Nothing to restore: no flag${tag === undefined ? '' : ` tagged “${tag}”`} is killed.</p>`}
      ${flagList('Not killed, unchanged', fs.filter((f) => !f.killed), 'unchanged', stageLabel)}
      <p class="note" data-testid="undo-hint">This restores every killed flag listed, whatever killed it. To restore just the flags of one kill, use “Undo this kill” in that kill's result.</p>`;
    },
    async run(reason, tag) {
      const r = await post<BulkRestoreResult>(bulkPath('restore'), { ...scopeOf(all ? undefined : tag), reason, waitMs: WAIT_MS });
      return {
        message: r.restored.length ? `Restored ${plural(r.restored.length, 'flag')}.` : `Nothing changed: no flag in scope was killed.`,
        detail: html`${keyList('Restored', r.restored, 'changed', r.propagation)}${keyList('Not killed, unchanged', r.alreadyLive, 'unchanged')}`,
        ...delivery(r.propagation, 'Every restored flag'),
      };
    },
  };
}
