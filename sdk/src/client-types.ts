/** The SDK client's public types: options, the client interface, and the seams it takes (cache, WebSocket, logger). */
import type { PreparedFlag } from './evaluate.js';
import type { StaleReport } from './lease.js';
import type { Evaluation, EvaluationContext, Json, Snapshot } from './protocol.js';

export type { StaleReport } from './lease.js';

/**
 * `initializing`: never synced yet · `ready`: live · `stale`: lost the server, serving last-known
 * (or, for a flag with a lease that lapsed, its off value: `client.stale` says why and which) ·
 * `error`: credentials refused.
 */
export type ClientStatus = 'initializing' | 'ready' | 'stale' | 'error';

/** Keeps the last snapshot between runs (a file in Node, localStorage in browsers). */
export interface SnapshotCache {
  load(): Snapshot | null | undefined | Promise<Snapshot | null | undefined>;
  save(snapshot: Snapshot): void | Promise<void>;
}

/** The part of a WebSocket the client uses: satisfied by the browser's and by `ws`. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: drop the connection without a closing handshake. */
  terminate?(): void;
}

/** A WebSocket constructor: the browser's global, or `ws`'s default export. */
export type WebSocketConstructor = new (url: string, protocols?: string[], options?: any) => WebSocketLike;

export interface ClientLogger {
  warn(message: string, detail?: unknown): void;
  debug?(message: string, detail?: unknown): void;
}

export interface ClientOptions {
  /**
   * The server's base URL, e.g. `http://localhost:8080` (one server, or a load balancer in front
   * of replicas), or a list of replica URLs: a lost connection reconnects to the next in the list
   * (with the jittered backoff; within a second when the server closed with 1012 because it is draining) and
   * resumes from the version held.
   */
  url: string | string[];
  /** An SDK key (`sy_sdk_...`). It only reads flag state. */
  sdkKey: string;
  /** State to serve before the first connection (e.g. from `GET /sdk/flags` at build time). */
  bootstrap?: Snapshot;
  /** Loaded at start (served before connecting), saved after every change. */
  cache?: SnapshotCache;
  /** WebSocket constructor; defaults to the global, else `ws` is imported lazily (Node 20). */
  WebSocket?: WebSocketConstructor;
  logger?: ClientLogger;
  /** Reconnect backoff: `initialMs` (1000) doubling to `maxMs` (30000), reset after `resetAfterMs` (60000) healthy. */
  reconnect?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
  /**
   * The longest message (snapshot or changes) taken from the server, in bytes of JSON text;
   * default 8 MiB (8388608). A longer one is refused before it is parsed: the client keeps its
   * last-known values, warns `too large` and reconnects with the backoff.
   */
  maxMessageBytes?: number;
  /** Silence after which the connection is replaced; default twice the server's heartbeat plus 1 s. */
  heartbeatTimeoutMs?: number;
  /** Random source for the backoff jitter (tests pass their own). */
  random?: () => number;
  /**
   * How often to report evaluation counts (per flag, stage and served variant) over the socket;
   * default 60000, `0` disables. Counting is a counter increment per evaluation, no allocation.
   */
  telemetryIntervalMs?: number;
  /**
   * Distinct-user sketches reported with the telemetry (`createReach()` from `@switchyard-flags/sdk/node`).
   * Opt-in in browsers (a browser app serves one user); the Node entry attaches one unless this is `null`.
   */
  reach?: Reach | null;
}

/** Counts distinct users served each flag's `on` value, per stage (sdk/src/reach.ts). */
export interface Reach {
  /**
   * An evaluation of `flag` just served its `on` value to `context`. `hashed`: the 30-bit hash
   * (`murmur3(key, seed) >>> 2`) that evaluation computed for a partial rollout, if any.
   */
  add(flag: PreparedFlag, context: EvaluationContext | undefined, hashed?: number): void;
  /** Sends the sketches filled since the last call over `ws` and starts new ones. */
  send(ws: WebSocketLike): void;
}

/** `'v1'` -> string, `false` -> boolean: a fallback literal does not narrow the result. */
export type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;

export interface ChangeEvent {
  key: string;
}

export interface Client {
  readonly status: ClientStatus;
  /**
   * Why the client is stale, while it is (or while a lease has lapsed, whatever the status):
   * the reason, the flags serving their off value because their lease lapsed, when it last heard.
   */
  readonly stale: StaleReport | null;
  /** Why the status is `error`, when the server said (or, in a browser, when CORS refused this page's origin). */
  readonly statusReason?: string;
  /** The global state version held (0 if none). */
  readonly version: number;
  /** Resolves true once synced with the server, or false after `timeoutMs` (5000) or on close. Never throws. */
  ready(options?: { timeoutMs?: number }): Promise<boolean>;
  /** True when the flag serves `true` for this context. */
  isEnabled(key: string, context?: EvaluationContext): boolean;
  /** The flag's value, or `fallback` if the flag is unknown, failed, or serves another type. */
  value<T extends Json>(key: string, context: EvaluationContext | undefined, fallback: T): Widen<T>;
  /** The value with its reason (`value` is null for an unknown flag). */
  evaluate(key: string, context?: EvaluationContext): Evaluation;
  /** The state held now. */
  snapshot(): Snapshot;
  /**
   * `change` fires for each flag whose definition changed; `status` on every status change and
   * whenever the flags whose lease lapsed change (with `client.stale`). Returns an unsubscribe.
   */
  on(event: 'change', handler: (e: ChangeEvent) => void): () => void;
  on(event: 'status', handler: (status: ClientStatus, stale: StaleReport | null) => void): () => void;
  /** Closes the socket and cancels every timer and listener. */
  close(): void;
}
