import type { Db } from '../storage/schema.js';
import type { MetricRange } from './sample-bounds.js';

/** A stored sample, as the guardrail and the audit entry see it. */
export interface Sample {
  flag: string;
  metric: string;
  /** The value, or an aggregate's mean. */
  value: number;
  cohort: 'treatment' | 'control';
  at: string;
  /** An aggregate's size and standard deviation (absent for a single value). */
  count?: number;
  stddev?: number;
}

/** A fresh sample with the time it counts as measured at (sample-time.ts), on the server's clock. */
export interface JudgedSample extends Sample {
  measuredAt: string;
}

/** The moments of one sample as the running aggregates add them: count, sum, sum of squares. */
export interface SampleMoments {
  count: number;
  sum: number;
  sumSq: number;
}

/** What a listener of fresh samples did about them: a guardrail that paused or killed a flag. */
export interface Trip {
  flag: string;
  metric: string;
  effect: 'pause' | 'kill';
  detail: string;
  /** The sample that tripped a `tripOnAny` check (absent when the stage's evidence was in breach). */
  sample?: Sample;
  /** The statistics a breach tripped on. */
  evidence?: TripEvidence;
  auditSeq?: number;
  /** A kill's id, as for any kill: `POST /api/restore {killId}` undoes it. */
  killId?: string;
}

/**
 * Told of every batch of fresh samples after it is stored (the rollout domain's guardrails,
 * wired in server/services.ts): the samples domain knows nothing of plans or gates.
 */
export type SampleListener = (env: string, samples: JudgedSample[], requestId: string | null) => Promise<Trip[]>;

/** The statistics a guardrail tripped on (its audit entry carries them too). */
export interface TripEvidence {
  outcome: 'breach';
  estimate: number | null;
  interval: [number, number] | null;
  n: number;
  controlN?: number;
  confidence: number;
}

/**
 * The ranges declared for the metrics of these flags (per flag, per metric), read in the samples'
 * transaction: the rollout domain's plans declare them (wired in server/services.ts).
 */
export type MetricRangePort = (db: Db, env: string, flags: string[]) => Promise<Map<string, Map<string, MetricRange>>>;
