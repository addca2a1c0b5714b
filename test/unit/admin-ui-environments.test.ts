import { describe, expect, it } from 'vitest';
import { flagInEnv, mergeStreamed, streamedEnv } from '../../admin-ui/src/flag-env.js';
import { flagPath, inEnv, link, parsePlace } from '../../admin-ui/src/place.js';
import type { FlagView } from '../../admin-ui/src/types.js';

// Issue 23 (admin UI): where the environment lives in the URL, which API route an action takes,
// and how a flag reads in one environment. Pure modules, no browser.

const flag = (over: Partial<FlagView> & { environments?: object } = {}): FlagView =>
  ({
    key: 'support-draft', description: '', owner: 'o', tags: [], on: true, off: false, version: 4, archived: false, archivedAt: null, archivedBy: null,
    killed: true, killedBy: 'olga', killedAt: '2026-12-08T00:00:00Z', killReason: 'INC-1', killId: 'k1', stage: 2, stages: 3, percent: 25,
    paused: false, pausedBy: null, pausedAt: null, pauseReason: null, stageStartedAt: null, planVersion: 3, planAuthor: 'pm', createdAt: '',
    createdBy: '', updatedAt: '', updatedBy: '', stateVersion: 40, maxStaleSeconds: null, cohortRules: 0, ...over,
  }) as FlagView;

const envs = {
  production: { stage: 2, percent: 25, killed: true, paused: false, planVersion: 3 },
  staging: { stage: 3, percent: 100, killed: false, paused: false, planVersion: 5 },
};

describe('the environment in the URL', () => {
  it('#/env/<key>/<page> names the environment; a hash without it means the default one', () => {
    expect(parsePlace('#/env/staging/flags/support-draft')).toEqual({ env: 'staging', parts: ['flags', 'support-draft'] });
    expect(parsePlace('#/flags/support-draft')).toEqual({ env: null, parts: ['flags', 'support-draft'] });
    expect(parsePlace('#/env/')).toEqual({ env: null, parts: ['env'] });
  });

  it('links keep the chosen environment, and switching keeps the page', () => {
    expect(link('/audit', 'staging')).toBe('#/env/staging/audit');
    expect(link('/audit', null)).toBe('#/audit');
    expect(inEnv('#/env/staging/flags/a%2Fb', 'production')).toBe('#/env/production/flags/a%2Fb');
    expect(inEnv('#/flags', 'staging')).toBe('#/env/staging/flags');
    expect(inEnv('#/', 'staging')).toBe('#/env/staging/flags');
  });

  it("an environment's own actions and reads take its scoped route; the flag's shared ones and the default environment keep the old routes", () => {
    expect(flagPath('support-draft', 'kill', 'staging')).toBe('/api/envs/staging/flags/support-draft/kill');
    expect(flagPath('support-draft', 'gates', 'staging')).toBe('/api/envs/staging/flags/support-draft/gates');
    expect(flagPath('support-draft', 'archive', 'staging')).toBe('/api/flags/support-draft/archive');
    expect(flagPath('support-draft', '', 'staging')).toBe('/api/flags/support-draft');
    expect(flagPath('support-draft', 'kill', null)).toBe('/api/flags/support-draft/kill');
  });
});

describe('a flag in one environment', () => {
  it("shows that environment's stage and state, never the default environment's kill details", () => {
    const f = flagInEnv(flag({ environments: envs }), 'staging');
    expect(f).toMatchObject({ stage: 3, percent: 100, killed: false, planVersion: 5, killedBy: null, killReason: null, killId: null });
    expect(flagInEnv(flag({ environments: envs }), 'production')).toMatchObject({ killed: true, killedBy: 'olga' });
    expect(flagInEnv(flag(), 'staging')).toMatchObject({ stage: 2, killed: true }); // a server without environments: as it is
  });

  it("a stream message about the default environment replaces the row and keeps the other environments' states", () => {
    const old = flag({ environments: envs });
    const restored = flag({ killed: false, killedBy: null, stateVersion: 41 });
    const merged = mergeStreamed(old, restored, null, 'production') as FlagView & { environments: typeof envs };
    expect(merged.killed).toBe(false);
    expect(merged.environments.staging).toEqual(envs.staging);
    expect(merged.environments.production.killed).toBe(false);
  });

  it("a stream message about another environment changes only that environment's state", () => {
    const old = flag({ environments: envs });
    const staged = flag({ killed: true, stage: 3, percent: 100, planVersion: 5 });
    const merged = mergeStreamed(old, staged, 'staging', 'production') as FlagView & { environments: typeof envs };
    expect(merged.environments.staging.killed).toBe(true);
    expect(merged.environments.production).toEqual(envs.production);
    expect(streamedEnv({ type: 'flag', environment: 'staging', flag: {} })).toBe('staging');
    expect(streamedEnv({ type: 'flag', flag: {} })).toBeNull();
  });
});
