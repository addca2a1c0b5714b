import type { AuditEntry } from '@switchyard-flags/sdk/api';

/** Something that changed, announced after its transaction committed. */
export type ChangeEvent =
  | { type: 'flag'; key: string; stateVersion: number; flagVersion: number; action: string; environment?: string; remote?: true }
  | { type: 'audit'; entry: AuditEntry; remote?: true };
// `remote`: committed by another replica of a cluster (server/cluster/pg-change-bus.ts) and
// loaded here. Push and the admin stream serve it like any change; what must happen once per
// change (webhook deliveries, Prometheus counts of actions) ignores it.

export type ChangeListener = (event: ChangeEvent) => void;

/**
 * The seam between writers and the push layer. In one process this is a plain listener set;
 * with several replicas on PostgreSQL it becomes LISTEN/NOTIFY or a poll of `state_version`,
 * and nothing that publishes or subscribes has to change.
 */
export interface ChangeBus {
  publish(event: ChangeEvent): void;
  subscribe(listener: ChangeListener): () => void;
}

export class LocalChangeBus implements ChangeBus {
  private readonly listeners = new Set<ChangeListener>();

  publish(event: ChangeEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A broken subscriber must never undo or block the change that was already committed.
      }
    }
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
