import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './log.js';
import { Jobs, type JobsDeps } from './jobs.js';

/** A promise resolved by hand: a run that lasts until the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

interface Harness {
  jobs: Jobs;
  lines: Array<Record<string, any>>;
  runs: Array<{ job: string; failed: boolean }>;
  leader: { is: boolean };
}

function harness(extra: Partial<JobsDeps> = {}): Harness {
  const lines: Array<Record<string, any>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  const runs: Harness['runs'] = [];
  const leader = { is: true };
  const jobs = new Jobs({ log: createLogger('info', sink), isLeader: () => leader.is, observe: (job, _s, failed) => runs.push({ job, failed }), ...extra });
  return { jobs, lines, runs, leader };
}

/** Lets the microtasks of finished runs settle. */
const flush = () => vi.advanceTimersByTimeAsync(0);

describe('the job scheduler', () => {
  let h: Harness;
  beforeEach(() => {
    vi.useFakeTimers();
    h = harness();
  });
  afterEach(async () => {
    await h.jobs.stop();
    vi.useRealTimers();
  });

  it('runs a job every interval, and a tick that comes while a run is under way is skipped, not queued', async () => {
    let started = 0;
    let current = gate();
    h.jobs.every('slow', 100, () => {
      started++;
      return current.promise;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toBe(1);
    await vi.advanceTimersByTimeAsync(350); // three more ticks while the first run holds
    expect(started).toBe(1);
    const first = current;
    current = gate();
    first.open();
    await flush();
    expect(h.runs).toEqual([{ job: 'slow', failed: false }]);
    await vi.advanceTimersByTimeAsync(50); // the next tick (at 500 ms) starts a new run
    expect(started).toBe(2);
    current.open();
    await flush();
    expect(h.runs).toHaveLength(2);
  });

  it('a tick by hand while a run is under way joins that run instead of starting a second', async () => {
    const g = gate();
    let started = 0;
    const job = h.jobs.every('joined', 1000, () => {
      started++;
      return g.promise;
    });
    const a = job.tick();
    const b = job.tick();
    expect(started).toBe(1);
    g.open();
    await Promise.all([a, b]);
    expect(h.runs).toEqual([{ job: 'joined', failed: false }]);
  });

  it('a leader-only job does not run while this process does not hold the lease, and runs once it does', async () => {
    let leaderRuns = 0;
    let everyRuns = 0;
    h.leader.is = false;
    h.jobs.every('leader_only', 100, () => void leaderRuns++, { leaderOnly: true });
    h.jobs.every('everywhere', 100, () => void everyRuns++);
    await vi.advanceTimersByTimeAsync(300);
    expect(leaderRuns).toBe(0);
    expect(everyRuns).toBe(3);
    h.leader.is = true;
    await vi.advanceTimersByTimeAsync(100);
    expect(leaderRuns).toBe(1);
  });

  it('a failed run is logged at error with the job name, counted as failed, and the job keeps running', async () => {
    let n = 0;
    h.jobs.every('flaky', 100, () => {
      n++;
      if (n === 1) throw new Error('database busy');
      if (n === 2) return Promise.reject(new Error('still busy'));
    });
    await vi.advanceTimersByTimeAsync(300);
    expect(h.runs).toEqual([
      { job: 'flaky', failed: true },
      { job: 'flaky', failed: true },
      { job: 'flaky', failed: false },
    ]);
    const errors = h.lines.filter((l) => l.level === 50);
    expect(errors[0]).toMatchObject({ job: 'flaky', failures: 1, err: { message: 'database busy' } });
    expect(errors[0]!.msg).toContain('job flaky failed');
    // The second failure, seconds after the first, is counted but not logged again; the recovery is.
    expect(errors).toHaveLength(1);
    expect(h.lines.find((l) => l.level === 30 && l.job === 'flaky')).toMatchObject({ failures: 2 });
  });

  it('a job that fails on every run logs again once a minute has passed, with how many runs failed in a row', async () => {
    h.jobs.every('broken', 10_000, () => {
      throw new Error('disk full');
    });
    await vi.advanceTimersByTimeAsync(80_000);
    const errors = h.lines.filter((l) => l.level === 50 && l.job === 'broken');
    expect(errors.map((l) => l.failures)).toEqual([1, 7]);
    expect(h.runs.filter((r) => r.failed)).toHaveLength(8);
  });

  it('stop waits for the run under way and no run starts after it', async () => {
    const g = gate();
    let started = 0;
    h.jobs.every('long', 100, () => {
      started++;
      return g.promise;
    });
    await vi.advanceTimersByTimeAsync(100);
    let stopped = false;
    const stopping = h.jobs.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    g.open();
    await stopping;
    expect(stopped).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(started).toBe(1);
    expect(() => h.jobs.every('late', 100, () => undefined)).toThrow(/scheduler is stopped/);
  });

  it('one job stopped alone leaves the others running', async () => {
    let a = 0;
    let b = 0;
    const first = h.jobs.every('first', 100, () => void a++);
    h.jobs.every('second', 100, () => void b++);
    await first.stop();
    await vi.advanceTimersByTimeAsync(200);
    expect([a, b]).toEqual([0, 2]);
    expect(h.jobs.names).toEqual(['second']);
  });

  it('firstAfterMs 0 starts the first run at once; another value moves the first run, and the next ones follow it by the interval', async () => {
    const at: Array<[string, number]> = [];
    const t0 = Date.now();
    const log = (name: string) => () => void at.push([name, Date.now() - t0]);
    h.jobs.every('now', 1000, log('now'), { firstAfterMs: 0 });
    h.jobs.every('soon', 1000, log('soon'), { firstAfterMs: 300 });
    h.jobs.every('late', 1000, log('late'), { firstAfterMs: 1500 });
    expect(at).toEqual([['now', 0]]);
    await vi.advanceTimersByTimeAsync(2500);
    expect(at).toEqual([['now', 0], ['soon', 300], ['now', 1000], ['soon', 1300], ['late', 1500], ['now', 2000], ['soon', 2300], ['late', 2500]]);
  });

  it('takes a list of job specs (a storage object\'s jobs) as it takes every()', async () => {
    let runs = 0;
    const [handle] = h.jobs.add([{ name: 'wal_checkpoint', everyMs: 1000, run: () => void runs++ }]);
    expect(h.jobs.get('wal_checkpoint')).toBe(handle);
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toBe(2);
  });

  it('refuses a schedule that cannot be honoured, naming the job and the number', () => {
    const noop = () => undefined;
    expect(() => h.jobs.every('zero', 0, noop)).toThrow('job zero: everyMs must be a whole number of milliseconds from 1 to 2147483647, got 0');
    expect(() => h.jobs.every('nan', Number.NaN, noop)).toThrow(/job nan: everyMs .* got NaN/);
    expect(() => h.jobs.every('forever', Infinity, noop)).toThrow(/got Infinity/);
    expect(() => h.jobs.every('fraction', 1.5, noop)).toThrow(/got 1.5/);
    expect(() => h.jobs.every('too_long', 2 ** 31, noop)).toThrow(/got 2147483648/);
    expect(() => h.jobs.every('negative_first', 100, noop, { firstAfterMs: -1 })).toThrow(/firstAfterMs .* got -1/);
    expect(() => h.jobs.every('Not A Label', 100, noop)).toThrow(/lower_snake_case/);
    h.jobs.every('twice', 100, noop);
    expect(() => h.jobs.every('twice', 100, noop)).toThrow('job twice is already scheduled');
    expect(h.jobs.names).toEqual(['twice']);
  });
});

describe('the job scheduler on real timers', () => {
  it('never keeps the process alive: its timers are unref\'d', async () => {
    const { jobs } = harness();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    jobs.every('idle', 60_000, () => undefined);
    jobs.every('idle_first', 60_000, () => undefined, { firstAfterMs: 1000 });
    expect(timers()).toBe(before);
    await jobs.stop();
  });
});
