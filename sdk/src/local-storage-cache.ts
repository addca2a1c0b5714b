import type { SnapshotCache } from './client-types.js';
import type { Snapshot } from './protocol.js';

/** JSON in `localStorage` under `key`. Never throws (private mode, quota, or no storage at all just skip). */
export function storageCache<T>(key: string): { load(): T | undefined; save(value: T): void } {
  const store = () => (globalThis as { localStorage?: Storage }).localStorage;
  return {
    load() {
      try {
        const text = store()?.getItem(key);
        return text ? (JSON.parse(text) as T) : undefined;
      } catch {
        return undefined;
      }
    },
    save(value) {
      try {
        store()?.setItem(key, JSON.stringify(value));
      } catch {
        // quota or disabled storage: the live state still works
      }
    },
  };
}

/**
 * A browser cache of the local evaluator's snapshot in `localStorage` under `key`: a reloaded
 * page serves last-known values before it connects. Never throws.
 */
export function localStorageCache(key = 'switchyard.snapshot'): SnapshotCache {
  return storageCache<Snapshot>(key);
}
