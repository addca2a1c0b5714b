import type { ChangeBus } from '../changes.js';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log.js';
import { PropagationTracker } from './propagation.js';
import { StateFeed } from './state-feed.js';

/** The push layer's in-memory state: what SDKs are served from, and who acknowledged what. */
export interface PushState {
  feed: StateFeed;
  tracker: PropagationTracker;
  /** Loads the flag state and subscribes to the ChangeBus; idempotent. */
  start(): Promise<void>;
  close(): void;
}

export function createPushState(deps: { db: Db; bus: ChangeBus; log: Logger; defaultEnvironment?: string }): PushState {
  const feed = new StateFeed(deps);
  const tracker = new PropagationTracker((key) => feed.stateVersionOf(key));
  return {
    feed,
    tracker,
    start: () => feed.start(),
    close() {
      tracker.close();
      feed.close();
    },
  };
}
