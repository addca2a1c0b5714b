import fs from 'node:fs';
import path from 'node:path';
import type { SnapshotCache } from './client-types.js';
import type { Snapshot } from './protocol.js';

/**
 * A Node cache in a JSON file: a restarted app serves last-known values before it connects.
 * Written atomically (temp file + rename), so a crash mid-write never leaves half a snapshot.
 * Node only: import it from `@switchyard-flags/sdk/node`.
 */
export function fileCache(file: string): SnapshotCache {
  return {
    load() {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
      } catch {
        return undefined;
      }
    },
    async save(snapshot) {
      const tmp = `${file}.${process.pid}.tmp`;
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      await fs.promises.writeFile(tmp, JSON.stringify(snapshot));
      await fs.promises.rename(tmp, file);
    },
  };
}
