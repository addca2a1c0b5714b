/**
 * OpenFeature provider for servers (`@openfeature/server-sdk`):
 *
 *   await OpenFeature.setProviderAndWait(new SwitchyardProvider({ url, sdkKey, WebSocket }));
 *   const on = await OpenFeature.getClient().getBooleanValue('support-draft', false, { targetingKey: userId });
 *
 * Flags are evaluated locally from the pushed state; no call leaves the process.
 */
import type { EvaluationContext, JsonValue, Provider, ProviderEventEmitter, ResolutionDetails, ServerProviderEvents } from '@openfeature/server-sdk';
import { resolve, SwitchyardProviderBase } from './openfeature-core.js';

export type { ProviderOptions } from './openfeature-core.js';

export class SwitchyardProvider extends SwitchyardProviderBase implements Provider {
  readonly metadata = { name: 'switchyard' } as const;
  readonly runsOn = 'server' as const;
  readonly events = this.eventEmitter as unknown as ProviderEventEmitter<ServerProviderEvents>;

  async resolveBooleanEvaluation(key: string, fallback: boolean, ctx: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return resolve(this.client, key, fallback, 'boolean', ctx);
  }
  async resolveStringEvaluation(key: string, fallback: string, ctx: EvaluationContext): Promise<ResolutionDetails<string>> {
    return resolve(this.client, key, fallback, 'string', ctx);
  }
  async resolveNumberEvaluation(key: string, fallback: number, ctx: EvaluationContext): Promise<ResolutionDetails<number>> {
    return resolve(this.client, key, fallback, 'number', ctx);
  }
  async resolveObjectEvaluation<T extends JsonValue>(key: string, fallback: T, ctx: EvaluationContext): Promise<ResolutionDetails<T>> {
    return resolve(this.client, key, fallback, 'object', ctx);
  }
}
