/**
 * What each flag action asks and sends. Kill and restore wait briefly for SDK acknowledgements
 * (`waitMs`), so the dialog can say how far the change reached.
 */
import { post } from '../../api.js';
import { environments, inEnvTitle } from '../../environments.js';
import { currentEnv, flagPath } from '../../place.js';
import type { ActionSpec } from './action-spec.js';
import { audience, pct, stageLabel, valueText } from '../../format.js';
import type { FlagListItem, FlagView, GatesView, Plan, Propagation } from '../../types.js';
import { snapshotOf } from '../../evidence.js';
import { signoffEvidence } from './signoff-evidence.js';

type WithPropagation = FlagView & { changed?: boolean; propagation?: Propagation };

/** Every action runs in the environment chosen in the URL (its own route), else in the default one. */
const path = (f: Pick<FlagView, 'key'>, action: string) => flagPath(f.key, action);

/**
 * The flag's version to guard the change with: the default environment's view carries it; in a
 * chosen environment the UI holds no version of that environment's state, so it sends none.
 */
const versionOf = (f: Pick<FlagView, 'version'>) => (currentEnv() ? undefined : f.version);

export function killSpec(f: FlagView | FlagListItem): ActionSpec {
  const where = inEnvTitle();
  return {
    title: `Kill ${f.key}${where}`,
    intro: `Every SDK${where} will serve the off value (${valueText(f, 'off')}) to everyone, whatever the rollout plan says, until someone restores the flag.`,
    fieldLabel: 'Reason (recorded in the audit trail)',
    fieldHint: 'For example: "eval score dropped, incident INC-2231".',
    submitLabel: 'Kill flag',
    danger: true,
    confirm: `I understand that ${f.key} will serve its off value to every user${where} immediately.`,
    async run(reason) {
      const r = await post<WithPropagation>(path(f, 'kill'), { reason, version: versionOf(f), waitMs: 2000 });
      return {
        message: r.changed === false ? `${f.key} was already killed; nothing changed.` : `${f.key} is killed: every user now gets the off value.`,
        propagation: r.propagation,
        key: f.key,
        stateVersion: r.stateVersion,
      };
    },
  };
}

export function restoreSpec(f: FlagView | FlagListItem): ActionSpec {
  const back = f.stage > 0 ? `its rollout stage (${stageLabel(f)})` : 'its plan (not started: everyone gets off)';
  return {
    title: `Restore ${f.key}${inEnvTitle()}`,
    intro: `The flag goes back to ${back}.`,
    fieldLabel: 'Reason (recorded in the audit trail)',
    submitLabel: 'Restore flag',
    confirm: `I have checked that it is safe to serve ${f.key} again.`,
    async run(reason) {
      const r = await post<WithPropagation>(path(f, 'restore'), { reason, version: versionOf(f), waitMs: 2000 });
      return {
        message: r.changed === false ? `${f.key} was not killed; nothing changed.` : `${f.key} is restored.`,
        propagation: r.propagation,
        key: f.key,
        stateVersion: r.stateVersion,
      };
    },
  };
}

export function nextPercent(f: FlagView, plan: Plan | null): number | null {
  const next = plan?.stages[f.stage];
  return next ? next.percent : null;
}

export function advanceSpec(f: FlagView, plan: Plan | null): ActionSpec {
  const to = nextPercent(f, plan);
  return {
    title: `Advance ${f.key} to ${to === null ? 'the next stage' : pct(to)}${inEnvTitle()}`,
    intro: `Moves the rollout one stage, from ${f.stage > 0 ? pct(f.percent) : 'not started (0%)'} to ${to === null ? '?' : pct(to)} of ${audience(f) === 'cohort' ? 'the eligible cohort' : 'users'}. The server checks every gate again.`,
    fieldLabel: 'Reason',
    submitLabel: `Advance to ${to === null ? 'next stage' : pct(to)}`,
    async run(reason) {
      const r = await post<{ percent?: number }>(path(f, 'advance'), { reason, version: versionOf(f) });
      return { message: `${f.key} advanced to ${pct(r?.percent ?? to ?? 0)} of ${audience(f)}.` };
    },
  };
}

export function rollbackSpec(f: FlagView, plan: Plan | null): ActionSpec {
  const options = [{ value: String(f.stage - 1), label: f.stage - 1 > 0 ? `Previous stage (${pct(plan?.stages[f.stage - 2]?.percent ?? 0)})` : 'Not started (0%)' }];
  if (f.stage - 1 > 0) options.push({ value: '0', label: 'All the way to not started (0%)' });
  return {
    title: `Roll back ${f.key}${inEnvTitle()}`,
    intro: 'Rolling back is never gated. Sign-offs for the stages you leave must be given again to advance.',
    fieldLabel: 'Reason',
    submitLabel: 'Roll back',
    choice: { label: 'Roll back to', options },
    async run(reason, choice) {
      await post(path(f, 'rollback'), { reason, toStage: Number(choice ?? f.stage - 1), version: versionOf(f) });
      return { message: `${f.key} rolled back.` };
    },
  };
}

export function pauseSpec(f: FlagView): ActionSpec {
  const resume = f.paused;
  return {
    title: `${resume ? 'Resume' : 'Pause'} the rollout of ${f.key}${inEnvTitle()}`,
    intro: resume
      ? 'The rollout may advance again once its gates hold.'
      : 'A paused rollout keeps serving its current stage but cannot advance (by hand or automatically) until resumed.',
    fieldLabel: 'Reason',
    submitLabel: resume ? 'Resume rollout' : 'Pause rollout',
    async run(reason) {
      await post(path(f, resume ? 'resume' : 'pause'), { reason, version: versionOf(f) });
      return { message: `${f.key} rollout ${resume ? 'resumed' : 'paused'}.` };
    },
  };
}

export function signoffSpec(f: FlagView, plan: Plan | null, gates: GatesView | null = null): ActionSpec {
  const to = nextPercent(f, plan);
  const snapshot = snapshotOf(gates?.gates ?? [], gates?.planVersion ?? f.planVersion);
  return {
    preview: () => signoffEvidence(snapshot),
    title: `Sign off ${to === null ? 'the next stage' : pct(to)} for ${f.key}${inEnvTitle()}`,
    intro: `Your sign-off approves plan version ${f.planVersion}; editing the plan voids it. The plan's author cannot be its only approver.`,
    fieldLabel: 'Comment',
    fieldHint: 'What you checked, e.g. "eval set reviewed, dashboards green".',
    submitLabel: 'Sign off',
    async run(comment) {
      // The evidence the PM saw in this dialog; if it moved meanwhile the server answers 409 evidence_changed.
      await post(path(f, 'signoffs'), { comment, snapshotId: gates?.snapshotId ?? undefined });
      return { message: `Signed off ${to === null ? 'the next stage' : pct(to)}.` };
    },
  };
}

export function archiveSpec(f: FlagView): ActionSpec {
  return {
    // The flag's own, shared by every environment: the dialog says so when there are several.
    title: `Archive ${f.key}${environments.active.length > 1 ? ' in every environment' : ''}`,
    intro: `${f.key} leaves the flag list and every SDK: apps then get the fallback value they pass in code. Its audit history stays. Only an admin can bring it back (Unarchive).`,
    fieldLabel: 'Reason (recorded in the audit trail)',
    submitLabel: 'Archive flag',
    danger: true,
    confirm: `I understand that apps will no longer receive ${f.key}.`,
    async run(reason) {
      await post(path(f, 'archive'), { reason, version: f.version });
      return { message: `${f.key} is archived.` };
    },
  };
}

export function unarchiveSpec(f: FlagView): ActionSpec {
  return {
    title: `Unarchive ${f.key}`,
    intro: `${f.key} comes back to the flag list and every SDK exactly as it was archived${f.killed ? ' (killed: it keeps serving its off value)' : ''}.`,
    fieldLabel: 'Reason (recorded in the audit trail)',
    submitLabel: 'Unarchive flag',
    async run(reason) {
      await post(path(f, 'unarchive'), { reason, version: f.version });
      return { message: `${f.key} is back.` };
    },
  };
}
