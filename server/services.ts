import { AuditRecorder } from './audit/audit-recorder.js';
import { AuditService } from './audit/audit-service.js';
import { SdkKeyService } from './auth/sdk-keys.js';
import type { ChangeBus } from './changes.js';
import type { Clock } from './clock.js';
import type { Db } from './db.js';
import { FlagService } from './flags/flag-service.js';
import { KillService } from './killswitch/kill-service.js';
import type { Logger } from './log.js';

export interface ServiceDeps {
  db: Db;
  clock: Clock;
  bus: ChangeBus;
  log: Logger;
}

export interface Services {
  flags: FlagService;
  kills: KillService;
  audit: AuditService;
  sdkKeys: SdkKeyService;
}

/** Wires every service with the narrow dependencies it needs. */
export function createServices(deps: ServiceDeps): Services {
  const recorder = new AuditRecorder(deps.clock);
  const write = { db: deps.db, audit: recorder, bus: deps.bus, clock: deps.clock };
  return {
    flags: new FlagService(write),
    kills: new KillService(write),
    audit: new AuditService(deps.db),
    sdkKeys: new SdkKeyService(write),
  };
}
