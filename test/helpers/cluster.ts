import type { ChangeEvent } from '../../server/changes.js';
import { openStorage } from '../../server/storage/open.js';
import { type Storage } from '../../server/storage/storage.js';
import { createLogger } from '../../server/log.js';
import { createServices, type Services } from '../../server/services.js';
import { systemClock } from '../../server/clock.js';
import { startCluster, type Cluster } from '../../server/cluster/cluster.js';
import type { PgChangeBus } from '../../server/cluster/pg-change-bus.js';
import type { Actor } from '../../server/actor.js';

/**
 * A replica without HTTP: the services, the push state and the cluster part (change bus,
 * registry, job lease) of one replica on a shared PostgreSQL database, so tests can run two or
 * three in one process.
 */
export interface BusReplica {
  id: string;
  opened: Storage;
  cluster: Cluster;
  bus: PgChangeBus;
  services: Services;
  /** Every event this replica's bus published, in order. */
  events: ChangeEvent[];
  close(): Promise<void>;
}

export async function busReplica(databaseUrl: string, name: string, opts: { heartbeatMs?: number } = {}): Promise<BusReplica> {
  const opened = openStorage({ databaseUrl, dbFile: 'unused' });
  const log = createLogger('silent');
  const cluster = await startCluster({ db: opened.db, databaseUrl, log, name, heartbeatMs: opts.heartbeatMs ?? 200 });
  const events: ChangeEvent[] = [];
  cluster.bus.subscribe((e) => events.push(e));
  const services = createServices({ storage: opened, clock: systemClock, bus: cluster.bus, log });
  await services.push.start();
  await cluster.attach(services.push, `http://${name}.invalid`);
  let closed = false;
  return {
    id: name,
    opened,
    cluster,
    bus: cluster.bus,
    services,
    events,
    async close() {
      if (closed) return;
      closed = true;
      await cluster.close();
      services.push.close();
      await opened.close();
    },
  };
}

export const engineer: Actor = { sub: 'eng-erin', role: 'engineer', requestId: null };

/** Resolves once `check()` holds, polling on the event loop (no fixed sleeps in assertions); rejects after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
