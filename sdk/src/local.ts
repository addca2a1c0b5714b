/**
 * The local evaluator, for any platform: `import { createClient } from '@switchyard-flags/sdk/local'`.
 * A server key's client: the flag states pushed over /sdk/stream, evaluated in this process for any
 * context. What Node's `@switchyard-flags/sdk` is; in a browser, only for an app that must evaluate
 * locally with a server key (an internal tool): a browser bundler gives `@switchyard-flags/sdk` the
 * client-key client instead (browser.ts). Node-only extras (a file cache, reach) are in
 * `@switchyard-flags/sdk/node`; the OpenFeature providers in `/openfeature` and `/openfeature-web`.
 */
export { createClient, backoffDelay, SDK_NAME } from './client.js';
export type {
  ChangeEvent,
  Client,
  ClientLogger,
  ClientOptions,
  ClientStatus,
  SnapshotCache,
  StaleReport,
  WebSocketConstructor,
  WebSocketLike,
  Widen,
} from './client-types.js';
export { localStorageCache } from './local-storage-cache.js';
/** Client-key mode: answers for one context over OFREP, for code shipped to browsers and phones. */
export { createOfrepClient, type AnswerCache, type CachedAnswers, type OfrepAnswer, type OfrepBulk, type OfrepClient, type OfrepClientOptions } from './ofrep-client.js';
export { evaluate } from './evaluate.js';
export type {
  CohortOp,
  CohortRule,
  Evaluation,
  EvaluationContext,
  EvaluationErrorCode,
  EvaluationReason,
  FlagState,
  Json,
  Snapshot,
} from './protocol.js';
