import type { JobSpec } from '../jobs.js';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * A fixed-window counter the replicas of a cluster share. Windows are named by the server's
 * clock (`floor(now / windowMs)`), so every replica (and a test's hand-moved clock) agrees on
 * which window a count falls in; the library keeps the counts in `rate_limits` (migrations/0023)
 * with one atomic upsert per call, and its own expiry only sweeps old windows away.
 */
export interface WindowCounter {
  readonly points: number;
  readonly windowMs: number;
  /**
   * Adds `n` to `key`'s count in the current window; resolves the count after it, the ms left in
   * the window, and `giveBack()`, which takes the `n` back from that same window (a batch refused
   * after it was counted).
   */
  add(key: string, n: number): Promise<Counted>;
}

export interface Counted {
  count: number;
  msLeft: number;
  giveBack(): Promise<void>;
}

/**
 * Where limits count. `memory`: in this process (one SQLite node: the domains keep their own
 * bounded in-memory limiters, as fast as before). `postgres`: in the database every replica
 * shares, through `rate-limiter-flexible`, on a small pool of its own (never the urgent one).
 */
export interface LimitStores {
  readonly kind: 'memory' | 'postgres';
  /** A shared counter named `name` of `points` per `windowMs`; undefined when limits count in memory. */
  windows(name: string, points: number, windowMs: number, now: () => number): WindowCounter | undefined;
  /** Upkeep the server's job scheduler runs (server/jobs.ts): PostgreSQL sweeps old windows. */
  readonly jobs: JobSpec[];
  close(): Promise<void>;
}

export const MEMORY_LIMITS: LimitStores = {
  kind: 'memory',
  windows: () => undefined,
  jobs: [],
  close: async () => undefined,
};

/** How long a window's row outlives its window (clock differences between replicas), before the library sweeps it. */
const KEEP_MS = 60_000;

/** Counters in PostgreSQL's `rate_limits` through `pool` (which the caller owns, unless `owned`). */
export function postgresLimits(pool: pg.Pool, owned = false, sweepMs = 60_000): LimitStores {
  return {
    kind: 'postgres',
    // Every window is a row of its own: windows past their end (and KEEP_MS) go once a minute, on
    // the replica holding the job lease (a failed sweep is logged and counted by the scheduler).
    jobs: [{ name: 'rate_limit_sweep', everyMs: sweepMs, leaderOnly: true, run: async () => void (await pool.query('DELETE FROM rate_limits WHERE expire < $1', [Date.now()])) }],
    windows(name, points, windowMs, now) {
      const rl = new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true,
        // Old windows are swept below, by one timer that close() stops (the library's own keeps running).
        clearExpiredByTimeout: false,
        keyPrefix: name,
        // The library refuses past `points`; we read the count ourselves, so it may count on.
        points: Number.MAX_SAFE_INTEGER,
        duration: Math.ceil((windowMs + KEEP_MS) / 1000),
      });
      const windowKey = (key: string) => {
        const t = now();
        const w = Math.floor(t / windowMs);
        return { k: `${key}@${w}`, msLeft: (w + 1) * windowMs - t };
      };
      return {
        points,
        windowMs,
        async add(key, n) {
          const { k, msLeft } = windowKey(key);
          const res = await rl.consume(k, n).catch((err: unknown) => {
            if (err instanceof RateLimiterRes) return err;
            throw err;
          });
          return { count: res.consumedPoints, msLeft, giveBack: async () => void (await rl.reward(k, n)) };
        },
      };
    },
    async close() {
      if (owned) await pool.end();
    },
  };
}
