/**
 * The compare board: every flag's state in each environment side by side, and what differs, in
 * words. Pure: a function of what the stores answered (states, plan contents, the latest promotion
 * into each environment).
 */

/** One flag in one environment, as the board shows it. */
export interface EnvCell {
  stage: number;
  percent: number;
  killed: boolean;
  paused: boolean;
  planVersion: number;
}

/** The last `plan.promote` into an environment: the plan version it created there, and where it came from. */
export interface PromotionLineage {
  from: string;
  fromPlanVersion: number;
  /** The target's plan version the promotion created. */
  planVersion: number;
}

export interface EnvFlagInput extends EnvCell {
  /** What the plan and lease are, whatever the version (promotion-diff.ts `sameContent`): equal strings, equal plans. Null: no plan. */
  planContent: string | null;
  lastPromotion: PromotionLineage | null;
}

export type DifferenceKind = 'killed' | 'paused' | 'behind' | 'hotfix' | 'differs';

export interface Difference {
  kind: DifferenceKind;
  text: string;
  envs: string[];
}

export interface CompareRow {
  key: string;
  envs: Record<string, EnvCell>;
  differences: Difference[];
}

/** "production", "staging and production", "development, staging and production". */
export function listOf(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Killed (or paused) in some environments and not all: "killed in production only". */
function onlyIn(kind: 'killed' | 'paused', present: string[], has: (env: string) => boolean): Difference | null {
  const some = present.filter(has);
  if (some.length === 0 || some.length === present.length) return null;
  return { kind, text: `${kind} in ${listOf(some)} only`, envs: some };
}

function lineageOf(env: string, cell: EnvFlagInput, cells: Map<string, EnvFlagInput>): Difference | null {
  const p = cell.lastPromotion;
  if (!p) return null;
  if (cell.planVersion > p.planVersion) {
    return {
      kind: 'hotfix',
      text: `changed in ${env} only (hotfix): plan version ${cell.planVersion} was edited in ${env} after ${p.from}'s plan version ${p.fromPlanVersion} was promoted`,
      envs: [env],
    };
  }
  const source = cells.get(p.from);
  if (source && cell.planVersion === p.planVersion && source.planVersion > p.fromPlanVersion) {
    const n = source.planVersion - p.fromPlanVersion;
    return { kind: 'behind', text: `${env} is ${plural(n, 'plan version')} behind ${p.from}`, envs: [env, p.from] };
  }
  return null;
}

/**
 * One flag's row: each environment's cell in the order given, then what differs: killed or paused
 * in some environments only; for each environment whose plan came by promotion, whether its
 * source has moved on (behind) or the plan was edited here since (hotfix); and, for an environment
 * never promoted into, whether its plan differs from the one before it (both having a plan).
 */
export function compareFlag(order: readonly string[], key: string, states: Readonly<Record<string, EnvFlagInput | undefined>>): CompareRow {
  const cells = new Map<string, EnvFlagInput>();
  for (const env of order) {
    const s = states[env];
    if (s) cells.set(env, s);
  }
  const present = [...cells.keys()];
  const envs: Record<string, EnvCell> = {};
  for (const [env, s] of cells) envs[env] = { stage: s.stage, percent: s.percent, killed: s.killed, paused: s.paused, planVersion: s.planVersion };
  const differences: Difference[] = [];
  const killed = onlyIn('killed', present, (e) => cells.get(e)!.killed);
  if (killed) differences.push(killed);
  const paused = onlyIn('paused', present, (e) => cells.get(e)!.paused);
  if (paused) differences.push(paused);
  for (let i = 0; i < present.length; i++) {
    const env = present[i]!;
    const cell = cells.get(env)!;
    const lineage = lineageOf(env, cell, cells);
    if (lineage) {
      differences.push(lineage);
      continue;
    }
    const prevEnv = present[i - 1];
    const prev = prevEnv === undefined ? undefined : cells.get(prevEnv);
    if (!cell.lastPromotion && prev && prev.planContent !== null && cell.planContent !== null && prev.planContent !== cell.planContent) {
      differences.push({ kind: 'differs', text: `${prevEnv} and ${env} have different plans (${env}'s was never promoted)`, envs: [prevEnv!, env] });
    }
  }
  return { key, envs, differences };
}
