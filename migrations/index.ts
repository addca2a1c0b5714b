import type { Migration } from 'kysely';
import * as m0001 from './0001_core.js';
import * as m0002 from './0002_rollout.js';
import * as m0003 from './0003_telemetry.js';
import * as m0004 from './0004_kill_id.js';
import * as m0005 from './0005_reach.js';
import * as m0006 from './0006_kill_members.js';
import * as m0011 from './0011_audit_checkpoints.js';
import * as m0009 from './0009_token_revocations.js';
import * as m0013 from './0013_client_request_id.js';
import * as m0007 from './0007_metric_aggregates.js';
import * as m0014 from './0014_bigint_columns.js';
import * as m0015 from './0015_cluster.js';
import * as m0017 from './0017_evidence.js';
import * as m0018 from './0018_flag_lease.js';
import * as m0016 from './0016_sdk_key_kind.js';
import * as m0019 from './0019_bigint_new_columns.js';
import * as m0020 from './0020_stable_evidence.js';
import * as m0021 from './0021_sdk_key_secure_mode.js';
import * as m0022 from './0022_checkpoint_prev.js';
import * as m0023 from './0023_shared_limits.js';
import * as m0024 from './0024_environments.js';
import * as m0025 from './0025_sessions.js';

/** Every migration, in order. A new migration file is added here too. */
export const migrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0002_rollout': m0002,
  '0003_telemetry': m0003,
  '0004_kill_id': m0004,
  '0005_reach': m0005,
  '0006_kill_members': m0006,
  '0011_audit_checkpoints': m0011,
  '0009_token_revocations': m0009,
  '0013_client_request_id': m0013,
  '0007_metric_aggregates': m0007,
  '0014_bigint_columns': m0014,
  '0015_cluster': m0015,
  '0017_evidence': m0017,
  '0018_flag_lease': m0018,
  '0016_sdk_key_kind': m0016,
  '0019_bigint_new_columns': m0019,
  '0020_stable_evidence': m0020,
  '0021_sdk_key_secure_mode': m0021,
  '0022_checkpoint_prev': m0022,
  '0023_shared_limits': m0023,
  '0024_environments': m0024,
  '0025_sessions': m0025,
};
