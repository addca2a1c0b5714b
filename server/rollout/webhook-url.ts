/**
 * A webhook URL is a secret (`…/hooks/T000/B000/SECRET`): shown once, in the answer of the PUT that
 * sets it; everywhere else (plan views for every role, new audit entries, hence the admin stream
 * and exports) only its origin, `/…/****`, and a short hash to tell two URLs apart.
 */
import crypto from 'node:crypto';
import type { Plan } from './plan-schema.js';

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
 * sent back unchanged by an editor) keeps the current one; anything else is the new URL.
 */
export function intendedWebhookUrl(sent: string | undefined, current: string | undefined): string | undefined {
  if (sent !== undefined && current !== undefined && sent === redactWebhookUrl(current)) return current;
  return sent;
}
