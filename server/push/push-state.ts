import type { ChangeBus } from '../changes.js';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log.js';
import { FALLBACK_ENVIRONMENT } from '../environments/default-environment.js';
import { listEnvironmentRows } from '../environments/environment-store.js';
import { PropagationTracker } from './propagation.js';
import { StateFeed } from './state-feed.js';

/** One environment's push state: the flag state its SDK keys are served, and who acknowledged what. */
export interface PushEnv {
  environment: string;
  feed: StateFeed;
  tracker: PropagationTracker;
  /** Loads this environment's flag state (idempotent). */
  start(): Promise<void>;
}

/**
 * The push layer's in-memory state, one PushEnv per environment (issue 23): an SDK key is bound
 * to one environment and is served that environment's feed only; figures and waits are kept per
 * environment, so a kill in staging is sent to staging's SDKs and nobody else. `feed`/`tracker`
 * are the default environment's (the admin stream and every unscoped route).
 */
export interface PushState {
  defaultEnvironment: string;
  feed: StateFeed;
  tracker: PropagationTracker;
  /** The push state of `environment`, made (not yet started) on first use. */
  env(environment: string): PushEnv;
  /** Every environment's push state made so far. */
  envs(): PushEnv[];
  /** Called with each environment's push state as it is made (and at once with those made already). */
  onEnv(listener: (e: PushEnv) => void): () => void;
  /** Loads every live environment's flag state (the default one first) and subscribes to the ChangeBus; idempotent. */
  start(): Promise<void>;
  close(): void;
}

export function createPushState(deps: { db: Db; bus: ChangeBus; log: Logger; defaultEnvironment?: string }): PushState {
  const defaultEnvironment = deps.defaultEnvironment ?? FALLBACK_ENVIRONMENT;
  const made = new Map<string, PushEnv>();
  const listeners = new Set<(e: PushEnv) => void>();
  const make = (environment: string): PushEnv => {
    let e = made.get(environment);
    if (e) return e;
    const feed = new StateFeed({ ...deps, environment });
    const tracker = new PropagationTracker((key) => feed.stateVersionOf(key), undefined, environment);
    e = { environment, feed, tracker, start: () => feed.start() };
    made.set(environment, e);
    for (const l of listeners) l(e);
    return e;
  };
  const main = make(defaultEnvironment);
  let started: Promise<void> | undefined;
  let stopBus: (() => void) | undefined;
  return {
    defaultEnvironment,
    feed: main.feed,
    tracker: main.tracker,
    env: make,
    envs: () => [...made.values()],
    onEnv(listener) {
      listeners.add(listener);
      for (const e of [...made.values()]) listener(e);
      return () => listeners.delete(listener);
    },
    start() {
      started ??= (async () => {
        await main.feed.start();
        const rows = await listEnvironmentRows(deps.db, false);
        await Promise.all(rows.map((r) => make(r.key).start()));
        // An environment made (or unarchived) after start is loaded at once, so its first change
        // reaches SDKs and the admin UI like any other, not only once something asks for it.
        stopBus = deps.bus.subscribe((e) => {
          if (e.type !== 'audit' || !e.entry.action.startsWith('environment.')) return;
          const key = (e.entry.after as { key?: unknown; archived?: unknown } | null)?.key;
          if (typeof key !== 'string' || made.has(key) || (e.entry.after as { archived?: unknown }).archived === true) return;
          make(key).start().catch((err: unknown) => deps.log.warn({ err, environment: key }, 'push: loading a new environment\'s flag state failed'));
        });
      })();
      return started;
    },
    close() {
      stopBus?.();
      for (const e of made.values()) {
        e.tracker.close();
        e.feed.close();
      }
    },
  };
}
