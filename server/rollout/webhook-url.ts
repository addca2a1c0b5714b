/**
 * A webhook URL is a secret (`…/hooks/T000/B000/SECRET`): shown once, in the answer of the PUT that
 * sets it; everywhere else (plan views for every role, new audit entries, hence the admin stream
 * and exports) only its origin, `/…/****`, and a short hash to tell two URLs apart.
 */
import crypto from 'node:crypto';
import { ValidationError } from '../errors.js';
import type { Plan } from './plan-schema.js';
import { staticRefusal, type AllowEntry } from './webhook-destination.js';

/** `https://hooks.example/…/****`: the origin only (no user info, path or query). */
export function redactWebhookUrl(url: string): string {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    origin = 'invalid';
  }
  return `${origin}/…/****`;
}

/** The first 12 hex digits of the URL's SHA-256. */
export function webhookUrlHash(url: string): string {
  return crypto.createHash('sha256').update(url).digest('hex').slice(0, 12);
}

/** The plan as views and audit entries show it: the webhook URL redacted, with its hash. */
export function redactPlan(plan: Plan): Plan;
export function redactPlan(plan: Plan | null): Plan | null;
export function redactPlan(plan: Plan | null): Plan | null {
  if (!plan?.webhookUrl) return plan;
  return { ...plan, webhookUrl: redactWebhookUrl(plan.webhookUrl), webhookUrlHash: webhookUrlHash(plan.webhookUrl) };
}

/**
 * What a plan PUT means by its `webhookUrl`: the redacted form of the current URL (what GET showed,
 * sent back unchanged by an editor) keeps the current one; anything else is a new URL, refused
 * (400 `webhook_refused`) when it is an internal IP literal or a localhost name not allowlisted.
 */
export function webhookUrlToStore(sent: string | undefined, current: string | undefined, allow: readonly AllowEntry[]): string | undefined {
  if (sent === undefined) return undefined;
  if (current !== undefined && sent === redactWebhookUrl(current)) return current;
  const why = staticRefusal(sent, allow);
  if (why) {
    throw new ValidationError(`webhookUrl points inside the network (${why}); an admin can allow it with WEBHOOK_ALLOW`, [{ path: 'webhookUrl', message: `refused: ${why}` }], 'webhook_refused');
  }
  return sent;
}
