/**
 * Switchyard SDK (browser and Node): `import { createClient } from '@switchyard-flags/sdk'`.
 * Node-only extras (a file cache) are in `@switchyard-flags/sdk/node`; the OpenFeature providers
 * in `@switchyard-flags/sdk/openfeature` (server) and `@switchyard-flags/sdk/openfeature-web` (browser).
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
export { createOfrepClient, type OfrepAnswer, type OfrepClient, type OfrepClientOptions } from './ofrep-client.js';
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
