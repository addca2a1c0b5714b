import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Db } from '../storage/schema.js';
import { Jobs } from '../jobs.js';
import type { Logger } from '../log.js';
import type { KeyStreamCounts } from '../push/stream-budget.js';
import { JobLease } from './job-lease.js';
import { PgChangeBus } from './pg-change-bus.js';
import { GONE_AFTER_BEATS, ReplicaRegistry, type AckSource } from './replica-registry.js';

export interface ClusterOptions {
  db: Db;
  databaseUrl: string;
  log: Logger;
  /** REPLICA_NAME (default hostname-pid). */
  name?: string;
  /** HEARTBEAT_MS (default 2000). */
  heartbeatMs?: number;
}

/**
 * One replica's part of a cluster on PostgreSQL: the change bus (created first: the services
 * publish on it), then `attach()` once the push state exists, which registers the replica,
 * starts its heartbeat and takes part in the job lease. main.ts builds it only with DATABASE_URL.
 */
export interface Cluster {
  id: string;
  name: string;
  bus: PgChangeBus;
  lease: JobLease;
  registry?: ReplicaRegistry;
  /**
   * `jobs`: the server's scheduler, where the heartbeat runs (without one, the cluster keeps its own).
   * `streams`: the stream budget, so MAX_CONNECTIONS_PER_KEY counts every replica's streams.
   */
  attach(push: AckSource, url: string, jobs?: Jobs, streams?: KeyStreamCounts): Promise<void>;
  close(): Promise<void>;
}

export const JOBS_LEASE = 'jobs';

export function defaultReplicaName(): string {
  return `${os.hostname()}-${process.pid}`;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const id = randomUUID();
  const name = opts.name || defaultReplicaName();
  const heartbeatMs = opts.heartbeatMs ?? 2000;
  const bus = new PgChangeBus({ db: opts.db, databaseUrl: opts.databaseUrl, replicaId: id, log: opts.log });
  await bus.start();
  let own: Jobs | undefined;
  const lease = new JobLease({ db: opts.db, name: JOBS_LEASE, holder: id, ttlMs: GONE_AFTER_BEATS * heartbeatMs, log: opts.log });
  const cluster: Cluster = {
    id,
    name,
    bus,
    lease,
    async attach(push, url, jobs, streams) {
      if (!jobs) own = jobs = new Jobs({ log: opts.log });
      const registry = new ReplicaRegistry({ db: opts.db, bus, push, log: opts.log, id, name, url, heartbeatMs, jobs, onBeat: () => lease.renew(), streams });
      cluster.registry = registry;
      await registry.start();
    },
    async close() {
      await cluster.registry?.close();
      await own?.stop();
      await lease.release();
      await bus.close();
    },
  };
  return cluster;
}
