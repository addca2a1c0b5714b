/**
 * The environments the server knows (`GET /api/environments`), read once per sign-in and again on
 * a resync or when an environment changes. A server without environments answers 404: the list
 * is then empty and the UI shows no switcher.
 */
import { ApiFailure, get } from './api.js';
import { currentEnv } from './place.js';

import type { Environment } from './types.js';

export type { Environment };

const byOrder = (a: Environment, b: Environment) => a.order - b.order || a.key.localeCompare(b.key);

class Environments extends EventTarget {
  /** null until the first answer; empty when the server has no environments. */
  list: Environment[] | null = null;
  problem = '';
  private seq = 0;

  /** The environments in use (not archived), in their order. */
  get active(): Environment[] {
    return (this.list ?? []).filter((e) => !e.archived).sort(byOrder);
  }

  async load(): Promise<void> {
    const seq = ++this.seq;
    try {
      const r = await get<{ environments: Environment[] }>('/api/environments');
      if (seq !== this.seq) return;
      this.list = Array.isArray(r?.environments) ? r.environments : [];
      this.problem = '';
    } catch (e) {
      if (seq !== this.seq) return;
      if (e instanceof ApiFailure && e.status === 404) this.list = [];
      else this.problem = (e as Error).message;
      this.list ??= [];
    }
    this.dispatchEvent(new Event('change'));
  }

  clear(): void {
    this.seq++;
    this.list = null;
    this.dispatchEvent(new Event('change'));
  }

  get(key: string | null): Environment | undefined {
    return key ? this.list?.find((e) => e.key === key) : undefined;
  }

  /** The server's default environment: `production` on every install, else the first in order. */
  get defaultKey(): string | null {
    const all = this.active;
    return all.find((e) => e.key === 'production')?.key ?? all[0]?.key ?? null;
  }

  /** The environment the UI works on now: the URL's, else the default one (null: the server has none). */
  current(): Environment | undefined {
    return this.get(currentEnv() ?? this.defaultKey);
  }
}

export const environments = new Environments();

/** How dialogs name an environment: loud capitals, "PRODUCTION". */
export const loudName = (e: Pick<Environment, 'name' | 'key'>) => (e.name || e.key).toUpperCase();

/** " in PRODUCTION" for a dangerous dialog's title, or '' on a server without environments. */
export function inEnvTitle(env: string | null = currentEnv()): string {
  const e = environments.get(env ?? environments.defaultKey);
  return e ? ` in ${loudName(e)}` : env ? ` in ${env.toUpperCase()}` : '';
}
