/** The OFREP client's public types (ofrep-client.ts): its options, an answer, the answer cache, the client. */
import type { ClientLogger, ClientStatus } from './client-types.js';
import type { Json } from './protocol.js';

export interface OfrepClientOptions {
  url: string;
  /** A client SDK key (`switchyard sdk-key --kind client`); a server key works too. */
  sdkKey: string;
  /** The user the answers are for: `targetingKey` is the bucketing key, the rest are attributes. */
  context: Record<string, unknown>;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Defaults to the global `EventSource`; without one, answers change only on `refresh()` or `setContext()`. */
  EventSource?: new (url: string) => { readonly readyState?: number; onmessage: ((e: { data: string }) => void) | null; onerror: (() => void) | null; close(): void };
  /** Answers to serve until the first arrive: the body of `POST /ofrep/v1/evaluate/flags` for this context (a server-rendered page embeds it). */
  bootstrap?: OfrepBulk;
  /**
   * Keeps the last answers between page loads (the browser entry's `localStorageCache()`): served
   * before the first answer (unless `bootstrap` is given) when they were for the same
   * `targetingKey`, saved after every new answer. A failing cache warns `switchyard: cache`.
   */
  cache?: AnswerCache;
  /** Told `switchyard: listener` when a `change` or `status` handler throws (the others still run). */
  logger?: ClientLogger;
  /** Retries after a failed ask while no event stream is open: `initialMs` (1000) doubling to `maxMs` (30000), jittered. */
  reconnect?: { initialMs?: number; maxMs?: number };
}

/** The bulk answer (`POST /ofrep/v1/evaluate/flags`): one answer per flag the key may read. */
export interface OfrepBulk {
  flags: OfrepAnswer[];
}

/** What an answer cache keeps: the answers, and the `targetingKey` they were for (never the rest of the context). */
export interface CachedAnswers extends OfrepBulk {
  targetingKey?: unknown;
}

/** Keeps the last answers between page loads (`localStorageCache()` of the browser entry, or your own). */
export interface AnswerCache {
  load(): CachedAnswers | null | undefined;
  save(answers: CachedAnswers): void;
}

/** One flag's answer as OFREP gives it. */
export interface OfrepAnswer {
  key: string;
  value?: Json;
  reason?: string;
  variant?: string;
  errorCode?: string;
  metadata?: Record<string, string | number | boolean>;
}

export interface OfrepClient {
  readonly status: ClientStatus;
  readonly statusReason?: string;
  /** The server's state version the answers were computed at (from the answer's ETag); 0 before the first. */
  readonly version: number;
  /** When an answer or an event last arrived from the server (ms since the epoch), 0 if never. */
  readonly lastHeardAt: number;
  /** Resolves true once the first answer arrived, false after `timeoutMs` (5000) or on close. Never throws. */
  ready(options?: { timeoutMs?: number }): Promise<boolean>;
  /** The flag's value for the context, or `fallback` if unknown, failed, or of another type. */
  value<T extends Json>(key: string, fallback: T): T;
  isEnabled(key: string): boolean;
  /** The answer as the server gave it (undefined for a flag it did not list). */
  answer(key: string): OfrepAnswer | undefined;
  /** Asks again for another context (a sign-in): the answers and the events follow it. */
  setContext(context: Record<string, unknown>): Promise<void>;
  refresh(): Promise<void>;
  on(event: 'change', handler: (e: { key: string }) => void): () => void;
  on(event: 'status', handler: (status: ClientStatus) => void): () => void;
  close(): void;
}
