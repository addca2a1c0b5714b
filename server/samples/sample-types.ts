/** A stored sample, as the guardrail and the audit entry see it. */
export interface Sample {
  flag: string;
  metric: string;
  value: number;
  cohort: 'treatment' | 'control';
  at: string;
}

/** A fresh sample with the time it counts as measured at (sample-time.ts), on the server's clock. */
export interface JudgedSample extends Sample {
  measuredAt: string;
}

/** What a listener of fresh samples did about them: a guardrail that paused or killed a flag. */
export interface Trip {
  flag: string;
  metric: string;
  effect: 'pause' | 'kill';
  detail: string;
  sample: Sample;
  auditSeq?: number;
  /** A kill's id, as for any kill: `POST /api/restore {killId}` undoes it. */
  killId?: string;
}

/**
 * Told of every batch of fresh samples after it is stored (the rollout domain's guardrails,
 * wired in server/services.ts): the samples domain knows nothing of plans or gates.
 */
export type SampleListener = (samples: JudgedSample[], requestId: string | null) => Promise<Trip[]>;
