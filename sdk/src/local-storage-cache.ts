import type { SnapshotCache } from './client-types.js';
import type { Snapshot } from './protocol.js';

/**
 * A browser cache in `localStorage` under `key`: a reloaded page serves last-known values
 * before it connects. Never throws (private mode, quota, or no storage at all just skip).
 */
export function localStorageCache(key = 'switchyard.snapshot'): SnapshotCache {
  const store = () => (globalThis as { localStorage?: Storage }).localStorage;
  return {
    load() {
      try {
        const text = store()?.getItem(key);
        return text ? (JSON.parse(text) as Snapshot) : undefined;
      } catch {
        return undefined;
      }
    },
    save(snapshot) {
      try {
        store()?.setItem(key, JSON.stringify(snapshot));
      } catch {
        // quota or disabled storage: the live state still works
      }
    },
  };
}
