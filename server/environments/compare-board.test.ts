import { describe, expect, it } from 'vitest';
import { compareFlag, listOf, type EnvFlagInput } from './compare-board.js';

const ORDER = ['development', 'staging', 'production'];

function cell(more: Partial<EnvFlagInput> = {}): EnvFlagInput {
  return { stage: 1, percent: 5, killed: false, paused: false, planVersion: 1, planContent: 'A', lastPromotion: null, ...more };
}

describe('the compare board: what differs between environments', () => {
  it('shows each environment\'s stage, percent, kill, pause and plan version side by side, in order, and nothing when they agree', () => {
    const row = compareFlag(ORDER, 'reply-model', { production: cell(), development: cell({ stage: 3, percent: 100 }), staging: cell() });
    expect(Object.keys(row.envs)).toEqual(ORDER);
    expect(row.envs.development).toEqual({ stage: 3, percent: 100, killed: false, paused: false, planVersion: 1 });
    expect(row.differences).toEqual([]);
  });

  it('says "killed in production only" when only production is killed', () => {
    const row = compareFlag(ORDER, 'f', { development: cell(), staging: cell(), production: cell({ killed: true }) });
    expect(row.differences).toEqual([{ kind: 'killed', text: 'killed in production only', envs: ['production'] }]);
  });

  it('says nothing about a kill that holds everywhere, and names several environments in order', () => {
    const all = compareFlag(ORDER, 'f', { development: cell({ killed: true }), staging: cell({ killed: true }), production: cell({ killed: true }) });
    expect(all.differences).toEqual([]);
    const two = compareFlag(ORDER, 'f', { development: cell({ paused: true }), staging: cell(), production: cell({ paused: true }) });
    expect(two.differences).toEqual([{ kind: 'paused', text: 'paused in development and production only', envs: ['development', 'production'] }]);
  });

  it('says "production is 2 plan versions behind staging" when production\'s plan came from staging\'s version 3 and staging is at 5', () => {
    const row = compareFlag(ORDER, 'f', {
      staging: cell({ planVersion: 5, planContent: 'C' }),
      production: cell({ planVersion: 4, planContent: 'A', lastPromotion: { from: 'staging', fromPlanVersion: 3, planVersion: 4 } }),
    });
    expect(Object.keys(row.envs)).toEqual(['staging', 'production']);
    expect(row.differences).toEqual([{ kind: 'behind', text: 'production is 2 plan versions behind staging', envs: ['production', 'staging'] }]);
  });

  it('says nothing when the promoted version is still the source\'s current one', () => {
    const row = compareFlag(ORDER, 'f', {
      staging: cell({ planVersion: 3 }),
      production: cell({ planVersion: 4, lastPromotion: { from: 'staging', fromPlanVersion: 3, planVersion: 4 } }),
    });
    expect(row.differences).toEqual([]);
  });

  it('says "changed in production only (hotfix)" when production\'s plan was edited after its promotion', () => {
    const row = compareFlag(ORDER, 'f', {
      staging: cell({ planVersion: 3 }),
      production: cell({ planVersion: 5, planContent: 'B', lastPromotion: { from: 'staging', fromPlanVersion: 3, planVersion: 4 } }),
    });
    expect(row.differences).toHaveLength(1);
    expect(row.differences[0]).toMatchObject({ kind: 'hotfix', envs: ['production'] });
    expect(row.differences[0]!.text).toBe("changed in production only (hotfix): plan version 5 was edited in production after staging's plan version 3 was promoted");
  });

  it('says two plans differ when neither came by promotion, and nothing when one side has no plan', () => {
    const row = compareFlag(ORDER, 'f', { staging: cell({ planContent: 'A' }), production: cell({ planContent: 'B' }) });
    expect(row.differences).toEqual([{ kind: 'differs', text: "staging and production have different plans (production's was never promoted)", envs: ['staging', 'production'] }]);
    expect(compareFlag(ORDER, 'f', { staging: cell({ planContent: null, planVersion: 0 }), production: cell({ planContent: 'B' }) }).differences).toEqual([]);
  });

  it('lists every kind at once, kills first', () => {
    const row = compareFlag(ORDER, 'f', {
      development: cell({ planVersion: 7, planContent: 'D' }),
      staging: cell({ planVersion: 2, lastPromotion: { from: 'development', fromPlanVersion: 6, planVersion: 2 } }),
      production: cell({ killed: true, planVersion: 9, lastPromotion: { from: 'staging', fromPlanVersion: 1, planVersion: 8 } }),
    });
    expect(row.differences.map((d) => d.text)).toEqual([
      'killed in production only',
      'staging is 1 plan version behind development',
      "changed in production only (hotfix): plan version 9 was edited in production after staging's plan version 1 was promoted",
    ]);
  });
});

describe('a list of environments in words', () => {
  it('joins one, two and three names as a sentence does', () => {
    expect([listOf(['a']), listOf(['a', 'b']), listOf(['a', 'b', 'c'])]).toEqual(['a', 'a and b', 'a, b and c']);
  });
});
