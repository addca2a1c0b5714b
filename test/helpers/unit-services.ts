import type { Role } from '../../server/auth/roles.js';
import type { Actor } from '../../server/actor.js';
import { LocalChangeBus, type ChangeEvent } from '../../server/changes.js';
import { createLogger } from '../../server/log.js';
import { createServices, type ServiceDeps, type Services } from '../../server/services.js';
import { manualClock } from '../rollout-fixtures.js';
import { openTestDatabase } from './test-db.js';

/**
 * The fast tier's world: every service from `createServices()` on a migrated database of the
 * project's kind (in-memory SQLite in `sqlite-unit`; in `postgres-unit` a copy of the run's
 * migrated template, dropped by close()), a clock the test moves by hand, and no HTTP. Each call
 * is a fresh database, so a test can build one per `it` without sharing state.
 */
export async function unitServices(opts: { start?: string; deps?: Partial<Omit<ServiceDeps, 'storage' | 'clock' | 'bus' | 'log'>> } = {}) {
  const time = manualClock(opts.start);
  const opened = await openTestDatabase();
  const bus = new LocalChangeBus();
  const events: ChangeEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const services: Services = createServices({ storage: opened, clock: time.clock, bus, log: createLogger('silent'), ...opts.deps });
  return {
    ...services,
    services,
    storage: opened,
    db: opened.db,
    time,
    /** Every change announced on the bus, in order (published only after commit). */
    events,
    close: () => opened.close(),
  };
}

export type UnitWorld = Awaited<ReturnType<typeof unitServices>>;

/** A caller of a role, as the auth middleware would hand it to a service. */
export function actor(role: Role | 'system', sub = `${role}-user`): Actor {
  return { sub, role, requestId: null };
}

/** Creates a flag as an engineer would (the schema's defaults filled in). */
export function createFlag(w: UnitWorld, key: string, extra: Partial<{ description: string; owner: string; tags: string[]; on: unknown; off: unknown }> = {}) {
  return w.flags.create(actor('engineer', 'eng-erin'), { key, description: '', owner: 'ai-eng@acme', tags: [], on: true, off: false, ...extra } as never);
}

/** The error a service call was refused with; fails the test if the call succeeded. */
export async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string; message: string; details?: any }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e as { status: number; code: string; message: string; details?: any },
  );
  if (!err) throw new Error('expected a refusal');
  return err;
}
