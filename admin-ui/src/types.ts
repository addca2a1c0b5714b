/**
 * The REST shapes the admin UI reads. They are the server's own: the API's views come from the
 * SDK package's api module (sdk/src/api.ts) and the wire types from its protocol module, so the
 * UI cannot drift from what the server sends. Only UI-specific shapes are declared here.
 */
import type { Propagation as WirePropagation } from '@switchyard-flags/sdk/protocol';

export type { CohortRule, Json } from '@switchyard-flags/sdk/protocol';
export type {
  AuditEntry,
  BulkKillResult,
  BulkRestoreResult,
  CohortStats,
  Environment,
  FlagActionResult,
  FlagEnvironmentState,
  FlagListItem,
  FlagListPage,
  FlagView,
  Gate,
  GatesView,
  MetricCheck,
  MetricSeries,
  MetricsView,
  Plan,
  PlanStage,
  PlanView,
  SdkKeyView,
  Signoff,
  SignoffsView,
  StaleFlag,
  StaleFlagsView,
  StageUsageView,
  UsageView,
  VerifyResult,
} from '@switchyard-flags/sdk/api';

/** Delivery figures of a flag's latest change (the wire type, minus what the UI already knows); `ofrep`: the browser apps on OFREP streams. */
export type Propagation = Pick<WirePropagation, 'connected' | 'applied' | 'pending' | 'slowestMs' | 'replicas' | 'ofrep' | 'unresponsive'>;
