import type { Logger } from './log.js';

/** A periodic job as a module declares it (e.g. the storage object's `jobs`: SQLite's WAL checkpoint). */
export interface JobSpec {
  /** Its name in logs and in /metrics' `job` label: lower_snake_case, unique per scheduler. */
  name: string;
  everyMs: number;
  /** One run: what a test calls by hand (`services.scheduler.tick()`); a throw or rejection is a failed run. */
  run: () => unknown;
  /** Runs only while `isLeader()` holds (on a cluster, the replica holding the job lease). */
  leaderOnly?: boolean;
  /** The first run this many ms after scheduling (default `everyMs`; 0 starts it at once), the next ones every `everyMs` after it. */
  firstAfterMs?: number;
}

export type JobOptions = Pick<JobSpec, 'leaderOnly' | 'firstAfterMs'>;

/** What each run reports to /metrics (`Metrics.jobRan`: switchyard_job_duration_seconds, switchyard_job_failures_total). */
export type JobObserver = (job: string, seconds: number, failed: boolean) => void;

export interface JobsDeps {
  log: Logger;
  /** Whether leader-only jobs run here now: on one node always, on a cluster `cluster.lease.holds()`. */
  isLeader?: () => boolean;
  observe?: JobObserver;
  /** Milliseconds of a steady clock, for spacing repeated failure logs (default performance.now). */
  now?: () => number;
}

/** One scheduled job: its run-once by hand, and its stop. */
export interface JobHandle {
  readonly name: string;
  /** Runs the job now, unless a run is under way (then resolves when that one ends). Never rejects. */
  tick(): Promise<void>;
  /** No more runs; resolves once a run under way has ended. */
  stop(): Promise<void>;
}

/** A job failing on every run logs its first failure, then at most one line per this many ms. */
const FAILURE_LOG_EVERY_MS = 60_000;
/** setInterval's longest delay (a larger one fires at once). */
const MAX_DELAY_MS = 2 ** 31 - 1;
const NAME = /^[a-z][a-z0-9_]{0,62}$/;

class Job implements JobHandle {
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private failures = 0;
  private lastLoggedAt = -Infinity;

  constructor(
    private readonly spec: JobSpec,
    private readonly deps: JobsDeps,
    private readonly forget: () => void,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** The first run after `firstAfterMs` (at once for 0), then one every `everyMs`. */
  schedule(): void {
    const first = this.spec.firstAfterMs ?? this.spec.everyMs;
    const repeat = () => this.timers.push(setInterval(() => void this.tick(), this.spec.everyMs).unref());
    if (first === this.spec.everyMs) repeat();
    else if (first === 0) {
      repeat();
      void this.tick();
    } else {
      const t = setTimeout(() => {
        repeat();
        void this.tick();
      }, first);
      this.timers.push(t.unref());
    }
  }

  tick(): Promise<void> {
    if (this.running) return this.running; // one run at a time: a tick while one runs is skipped
    if (this.stopped || (this.spec.leaderOnly && this.deps.isLeader && !this.deps.isLeader())) return Promise.resolve();
    this.running = this.once().finally(() => (this.running = undefined));
    return this.running;
  }

  private async once(): Promise<void> {
    const started = performance.now();
    let failed = false;
    try {
      await this.spec.run();
      if (this.failures > 0) this.deps.log.info({ job: this.name, failures: this.failures }, `job ${this.name} ran again after ${this.failures} failed run(s)`);
      this.failures = 0;
    } catch (err) {
      failed = true;
      this.failed(err);
    }
    this.deps.observe?.(this.name, (performance.now() - started) / 1000, failed);
  }

  private failed(err: unknown): void {
    this.failures++;
    const now = (this.deps.now ?? (() => performance.now()))();
    if (this.failures > 1 && now - this.lastLoggedAt < FAILURE_LOG_EVERY_MS) return;
    this.lastLoggedAt = now;
    this.deps.log.error({ err, job: this.name, failures: this.failures }, `job ${this.name} failed (${this.failures} run(s) in a row); it runs again in ${this.spec.everyMs} ms`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.forget();
    await this.running;
  }
}

/**
 * The one scheduler of periodic work (auto-advance, retention, audit checkpoints, telemetry
 * flush, SQLite's WAL checkpoint, the cluster heartbeat). A job is a name, an interval and a
 * run-once function; the scheduler owns the rest: an unref'd timer (a job never keeps the
 * process alive), one run at a time (a tick while a run is under way is skipped, so a slow run
 * never piles up behind itself), the job lease for leader-only jobs, the error log with the
 * job's name, the duration and failures in /metrics, and a stop that waits for a run under way.
 */
export class Jobs {
  private readonly jobs = new Map<string, Job>();
  private stopped = false;

  constructor(private readonly deps: JobsDeps) {}

  /** Runs `run` every `ms` milliseconds from now (first after `firstAfterMs`, default `ms`). */
  every(name: string, ms: number, run: () => unknown, opts: JobOptions = {}): JobHandle {
    return this.schedule({ name, everyMs: ms, run, ...opts });
  }

  /** Schedules each job of a list (e.g. `storage.jobs`). */
  add(specs: Iterable<JobSpec>): JobHandle[] {
    return [...specs].map((s) => this.schedule(s));
  }

  /** The job scheduled under `name`, if any (tests run one by hand: `jobs.get('retention')!.tick()`). */
  get(name: string): JobHandle | undefined {
    return this.jobs.get(name);
  }

  get names(): string[] {
    return [...this.jobs.keys()];
  }

  /** Stops every job; resolves once the runs under way have ended. Scheduling afterwards is an error. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.jobs.values()].map((j) => j.stop()));
  }

  private schedule(spec: JobSpec): JobHandle {
    if (this.stopped) throw new Error(`job ${spec.name}: the scheduler is stopped`);
    if (!NAME.test(spec.name)) throw new Error(`job name "${spec.name}" must be lower_snake_case (it is a /metrics label)`);
    if (this.jobs.has(spec.name)) throw new Error(`job ${spec.name} is already scheduled`);
    checkDelay(spec.name, 'everyMs', spec.everyMs, 1);
    if (spec.firstAfterMs !== undefined) checkDelay(spec.name, 'firstAfterMs', spec.firstAfterMs, 0);
    const job = new Job(spec, this.deps, () => this.jobs.get(spec.name) === job && this.jobs.delete(spec.name));
    this.jobs.set(spec.name, job);
    job.schedule();
    return job;
  }
}

function checkDelay(job: string, what: string, ms: number, least: number): void {
  if (!Number.isInteger(ms) || ms < least || ms > MAX_DELAY_MS) throw new Error(`job ${job}: ${what} must be a whole number of milliseconds from ${least} to ${MAX_DELAY_MS}, got ${ms}`);
}
