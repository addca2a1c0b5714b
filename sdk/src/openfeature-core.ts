/**
 * What the server and web OpenFeature providers share: mapping a Switchyard evaluation to
 * OpenFeature resolution details, and translating client status and changes into provider
 * events. Imports only OpenFeature *types*: no runtime dependency.
 */
import type { ErrorCode, EvaluationContext as OFContext, ResolutionDetails, ResolutionReason } from '@openfeature/core';
import { createClient, type Client, type ClientOptions, type ClientStatus, type StaleReport } from './client.js';
import type { EvaluationContext, EvaluationReason } from './protocol.js';

export type FlagType = 'boolean' | 'string' | 'number' | 'object';

/** Either client options (the provider creates and owns the client) or a client you own. */
export type ProviderOptions = (ClientOptions | { client: Client }) & {
  /** How long `initialize` waits for the first sync (default 5000 ms). */
  initTimeoutMs?: number;
};

const REASONS: Partial<Record<EvaluationReason, ResolutionReason>> = {
  KILLED: 'DISABLED',
  COHORT_MISS: 'DEFAULT',
  NOT_STARTED: 'DEFAULT',
  STALE: 'STALE',
};

/** OpenFeature's `targetingKey` is Switchyard's bucketing `key`. */
export function toContext(ctx: OFContext | undefined): EvaluationContext {
  if (!ctx) return {};
  const { targetingKey, ...rest } = ctx;
  return targetingKey === undefined ? rest : { ...rest, key: targetingKey };
}

function typeOf(v: unknown): FlagType | 'other' {
  if (typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') return typeof v as FlagType;
  return v !== null && typeof v === 'object' ? 'object' : 'other';
}

/** Evaluates locally and answers in OpenFeature terms; never throws. */
export function resolve<T>(client: Client, key: string, fallback: T, type: FlagType, ctx: OFContext | undefined): ResolutionDetails<T> {
  const r = client.evaluate(key, toContext(ctx));
  const error = (errorCode: string, errorMessage: string): ResolutionDetails<T> => ({
    value: fallback,
    reason: 'ERROR',
    errorCode: errorCode as ErrorCode,
    errorMessage,
  });
  if (r.reason === 'FLAG_NOT_FOUND') return error('FLAG_NOT_FOUND', `flag "${key}" does not exist`);
  if (r.reason === 'ERROR') {
    const code = r.errorCode === 'TARGETING_KEY_MISSING' || r.errorCode === 'INVALID_CONTEXT' ? r.errorCode : 'GENERAL';
    return error(code, `flag "${key}" could not be evaluated (${r.errorCode ?? 'GENERAL'})`);
  }
  if (typeOf(r.value) !== type) return error('TYPE_MISMATCH', `flag "${key}" serves a ${typeOf(r.value)}, not a ${type}`);
  const split = r.reason === 'ROLLOUT_IN' || r.reason === 'ROLLOUT_OUT';
  const flagMetadata: Record<string, string | number | boolean> = { switchyardReason: r.reason };
  if (r.flagVersion !== undefined) flagMetadata.flagVersion = r.flagVersion;
  if (r.bucket !== undefined) flagMetadata.bucket = r.bucket;
  return {
    value: r.value as T,
    variant: r.reason === 'ROLLOUT_IN' ? 'on' : 'off',
    reason: REASONS[r.reason] ?? (split && r.bucket !== undefined ? 'SPLIT' : 'TARGETING_MATCH'),
    flagMetadata,
  };
}

type Handler = (details?: unknown) => void;

/** A minimal provider event emitter (what the OpenFeature SDKs call on `provider.events`). */
export class ProviderEvents {
  private readonly handlers = new Map<string, Set<Handler>>();

  emit(type: string, details?: unknown): void {
    for (const h of [...(this.handlers.get(type) ?? [])]) {
      try {
        h(details);
      } catch {
        // a handler's failure is the handler's
      }
    }
  }
  addHandler(type: string, handler: Handler): void {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type)!.add(handler);
  }
  removeHandler(type: string, handler: Handler): void {
    this.handlers.get(type)?.delete(handler);
  }
  removeAllHandlers(type?: string): void {
    if (type === undefined) this.handlers.clear();
    else this.handlers.delete(type);
  }
  getHandlers(type: string): Handler[] {
    return [...(this.handlers.get(type) ?? [])];
  }
  setLogger(): this {
    return this;
  }
}

/**
 * The lifecycle both providers share: `initialize` waits for the first sync; afterwards a
 * client status change emits PROVIDER_READY / PROVIDER_STALE / PROVIDER_ERROR and changed
 * flags emit PROVIDER_CONFIGURATION_CHANGED with `flagsChanged` (coalesced per message).
 */
export class SwitchyardProviderBase {
  readonly client: Client;
  readonly eventEmitter = new ProviderEvents();
  private readonly owned: boolean;
  private readonly stops: Array<() => void> = [];
  private initialized = false;
  private pending: string[] = [];

  constructor(private readonly options: ProviderOptions) {
    this.owned = !('client' in options);
    this.client = 'client' in options ? options.client : createClient(options);
  }

  async initialize(): Promise<void> {
    this.stops.push(
      this.client.on('status', (s, r) => this.onStatus(s, r)),
      this.client.on('change', ({ key }) => {
        if (!this.initialized) return;
        if (this.pending.push(key) === 1) {
          queueMicrotask(() => {
            const flagsChanged = [...new Set(this.pending)];
            this.pending = [];
            this.eventEmitter.emit('PROVIDER_CONFIGURATION_CHANGED', { flagsChanged });
          });
        }
      }),
    );
    const ok = await this.client.ready({ timeoutMs: this.options.initTimeoutMs ?? 5000 });
    this.initialized = true;
    if (ok) return;
    if (this.client.status === 'error') throw new Error('Switchyard refused the SDK key');
    if (this.client.version === 0) throw new Error('Switchyard: no flag state yet (server unreachable); will keep trying');
    // Last-known state (cache or bootstrap): usable, but stale until the server answers.
    queueMicrotask(() => this.eventEmitter.emit('PROVIDER_STALE', { message: 'serving cached flag state until the server answers' }));
  }

  async onClose(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    if (this.owned) this.client.close();
  }

  private onStatus(s: ClientStatus, r?: StaleReport | null): void {
    if (!this.initialized) return;
    if (s === 'ready') this.eventEmitter.emit('PROVIDER_READY');
    else if (s === 'stale' && r?.flags.length) this.eventEmitter.emit('PROVIDER_STALE', { message: `Switchyard: ${r.message}`, flagsChanged: r.flags });
    else if (s === 'stale') this.eventEmitter.emit('PROVIDER_STALE', { message: 'lost the Switchyard server; serving last-known values' });
    else if (s === 'error') this.eventEmitter.emit('PROVIDER_ERROR', { message: 'Switchyard refused the SDK key' });
  }
}
