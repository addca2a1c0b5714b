/**
 * `createClient` as a browser bundler resolves it (`@switchyard-flags/sdk` under the `browser`
 * export condition, or `@switchyard-flags/sdk/browser`): the client of a browser app, which
 * holds a *client* key (PRODUCT.md: browsers get the answers for their own user, never rules).
 * The `Client` API of the local evaluator for ONE context, the app's user, given at creation and
 * changed with `setContext()`; the server evaluates (OFREP bulk evaluation) and its event stream
 * says when to ask again (ofrep-client.ts). No evaluator, no socket, no module state.
 *
 * OpenFeature's "static context" paradigm (as LaunchDarkly's and Unleash's client-side SDKs):
 * the `ctx` argument of `value()`, `isEnabled()` and `evaluate()` is not evaluated and never sent;
 * the answer is the client's context's. A `ctx` whose `key` differs from it logs
 * `switchyard: context` once: call `setContext()` for another user.
 *
 *   const flags = createClient({ url, sdkKey: 'sy_sdk_...', context: { key: user.id, plan: user.plan } });
 *   await flags.ready();
 *   flags.value('checkout-v2', undefined, 'old');
 */
import type { ChangeEvent, ClientLogger, ClientStatus, StaleReport, Widen } from './client-types.js';
import { storageCache } from './local-storage-cache.js';
import { createOfrepClient, type AnswerCache, type CachedAnswers, type OfrepBulk, type OfrepClientOptions } from './ofrep-client.js';
import type { Evaluation, EvaluationContext, EvaluationErrorCode, EvaluationReason, Json } from './protocol.js';

export interface BrowserClientOptions {
  /** The server's base URL, e.g. `https://flags.acme.com` (add the page's origin to its ALLOWED_ORIGINS). */
  url: string;
  /** A client SDK key (`switchyard sdk-key --kind client`): anyone can read it from the page, and it reads only answers. */
  sdkKey: string;
  /** The one user the answers are for: `key` is the bucketing key (OFREP's `targetingKey`), the rest are attributes. */
  context: EvaluationContext;
  /** Answers served until the first arrive: the body of `POST /ofrep/v1/evaluate/flags` for this context. */
  bootstrap?: OfrepBulk;
  /**
   * Keeps the last answers between page loads (`localStorageCache()`): a reloaded page serves
   * them before the first answer (unless `bootstrap` is given) when they were for the same `key`.
   */
  cache?: AnswerCache;
  logger?: ClientLogger;
  /** Retries while the server is away and no event stream will say when: 1 s doubling to 30 s, jittered. */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Defaults to the global `EventSource`; without one, answers change only on `setContext()` or a retry. */
  EventSource?: OfrepClientOptions['EventSource'];
}

/** The browser's `Client`: the local evaluator's API for one context, less `snapshot()` (it holds answers, not flag states). */
export interface BrowserClient {
  /** `initializing` (no answer yet: bootstrap or fallbacks) · `ready` · `stale` (lost the server, serving the last answers) · `error` (key refused). */
  readonly status: ClientStatus;
  /** While stale: `{ reason: 'disconnected', flags: [], lastHeardAt, message }` (answers carry no lease); `null` otherwise. */
  readonly stale: StaleReport | null;
  readonly statusReason?: string;
  /** The server's state version the answers were computed at; 0 before the first. */
  readonly version: number;
  /** The context the answers are for. */
  readonly context: EvaluationContext;
  /** Resolves true once answers arrived, false after `timeoutMs` (5000) or on close. Never throws. */
  ready(options?: { timeoutMs?: number }): Promise<boolean>;
  /** `value(key, ctx, false)`. */
  isEnabled(key: string, context?: EvaluationContext): boolean;
  /** The flag's value for the client's context (not `context`: see above), or `fallback` if unknown, failed, or of another type. */
  value<T extends Json>(key: string, context: EvaluationContext | undefined, fallback: T): Widen<T>;
  /** The answer with Switchyard's reason (`value` null for a flag the server did not list). */
  evaluate(key: string, context?: EvaluationContext): Evaluation;
  /** Asks for another user's answers (a sign-in); resolves once they arrived (or the ask failed). The last answers are served meanwhile. */
  setContext(context: EvaluationContext): Promise<void>;
  /** `change`: a flag's answer changed (a kill, an advance, a new context); `status` as in the local client. */
  on(event: 'change', handler: (e: ChangeEvent) => void): () => void;
  on(event: 'status', handler: (status: ClientStatus, stale: StaleReport | null) => void): () => void;
  /** Closes the event stream and cancels every timer and listener. */
  close(): void;
}

/**
 * The browser client's cache in `localStorage` under `key`: the last answers and the user `key`
 * they were for (no other attribute of the context). Never throws.
 */
export function localStorageCache(key = 'switchyard.answers'): AnswerCache {
  return storageCache<CachedAnswers>(key);
}

/** Switchyard's `key` is OpenFeature's `targetingKey`. */
const ofrepContext = ({ key, ...rest }: EvaluationContext): Record<string, unknown> => (key === undefined ? rest : { ...rest, targetingKey: key });

/** Creates the client and asks for its context's answers at once. */
export function createClient(opts: BrowserClientOptions): BrowserClient {
  let context = opts.context;
  let warned = false;
  const ofrep = createOfrepClient({ ...opts, context: ofrepContext(context) });
  const stale = (): StaleReport | null => {
    if (ofrep.status !== 'stale') return null;
    const at = ofrep.lastHeardAt;
    return { reason: 'disconnected', flags: [], lastHeardAt: at ? new Date(at).toISOString() : null, message: 'no word from the server: serving the last answers' };
  };
  const check = (ctx: EvaluationContext | undefined) => {
    if (!warned && ctx?.key !== undefined && ctx.key !== context.key) (warned = true), opts.logger?.warn('switchyard: context', ctx.key);
  };
  const client: BrowserClient = {
    get status() {
      return ofrep.status;
    },
    get stale() {
      return stale();
    },
    get statusReason() {
      return ofrep.statusReason;
    },
    get version() {
      return ofrep.version;
    },
    get context() {
      return context;
    },
    ready: ofrep.ready,
    isEnabled: (key, ctx) => client.value(key, ctx, false),
    value(key, ctx, fallback) {
      check(ctx);
      return ofrep.value(key, fallback) as Widen<typeof fallback>;
    },
    evaluate(key, ctx) {
      check(ctx);
      const a = ofrep.answer(key);
      if (!a || a.errorCode === 'FLAG_NOT_FOUND') return { value: null, reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' };
      if (a.errorCode) return { value: null, reason: 'ERROR', errorCode: a.errorCode as EvaluationErrorCode };
      const m = a.metadata ?? {};
      const e: Evaluation = { value: a.value ?? null, reason: (m.switchyardReason ?? 'ROLLOUT_OUT') as EvaluationReason };
      if (typeof m.bucket === 'number') e.bucket = m.bucket;
      if (typeof m.flagVersion === 'number') e.flagVersion = m.flagVersion;
      return e;
    },
    setContext(next) {
      context = next;
      warned = false;
      return ofrep.setContext(ofrepContext(next));
    },
    on(event: 'change' | 'status', handler: (a: any, b?: any) => void) {
      return event === 'status' ? ofrep.on('status', (s) => handler(s, stale())) : ofrep.on('change', handler);
    },
    close: ofrep.close,
  };
  return client;
}
