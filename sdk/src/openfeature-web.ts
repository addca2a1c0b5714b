/**
 * OpenFeature provider for browsers (`@openfeature/web-sdk`):
 *
 *   await OpenFeature.setProviderAndWait(new SwitchyardWebProvider({ url, sdkKey }));
 *   await OpenFeature.setContext({ targetingKey: user.id, plan: user.plan });
 *   const draft = OpenFeature.getClient().getBooleanValue('support-draft', false);
 */
import type { EvaluationContext, JsonValue, Provider, ProviderEventEmitter, ResolutionDetails, ClientProviderEvents } from '@openfeature/web-sdk';
import { resolve, SwitchyardProviderBase } from './openfeature-core.js';

export type { ProviderOptions } from './openfeature-core.js';

export class SwitchyardWebProvider extends SwitchyardProviderBase implements Provider {
  readonly metadata = { name: 'switchyard' } as const;
  readonly runsOn = 'client' as const;
  readonly events = this.eventEmitter as unknown as ProviderEventEmitter<ClientProviderEvents>;

  resolveBooleanEvaluation(key: string, fallback: boolean, ctx: EvaluationContext): ResolutionDetails<boolean> {
    return resolve(this.client, key, fallback, 'boolean', ctx);
  }
  resolveStringEvaluation(key: string, fallback: string, ctx: EvaluationContext): ResolutionDetails<string> {
    return resolve(this.client, key, fallback, 'string', ctx);
  }
  resolveNumberEvaluation(key: string, fallback: number, ctx: EvaluationContext): ResolutionDetails<number> {
    return resolve(this.client, key, fallback, 'number', ctx);
  }
  resolveObjectEvaluation<T extends JsonValue>(key: string, fallback: T, ctx: EvaluationContext): ResolutionDetails<T> {
    return resolve(this.client, key, fallback, 'object', ctx);
  }
}
