import { MAX_TELEMETRY_COUNTS, type TelemetryCount, type TelemetryMessage } from '../../sdk/src/protocol.js';
import { BadMessage } from '../push/bad-message.js';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Stages are 0..20 today (a plan has at most 20); leave room without accepting nonsense. */
const MAX_STAGE = 1000;

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new BadMessage(`${what} must be a non-negative integer`);
  return v;
}

/**
 * Validates a `telemetry` message (docs/protocol.md): `counts` is an array of at most
 * MAX_TELEMETRY_COUNTS entries `{key, stage, on, off, fallback}`. Anything off closes the
 * socket with 4400, like every other malformed message; unknown fields are ignored.
 */
export function parseTelemetry(m: Record<string, unknown>): TelemetryMessage {
  const raw = m.counts;
  if (!Array.isArray(raw)) throw new BadMessage('telemetry.counts must be an array');
  if (raw.length > MAX_TELEMETRY_COUNTS) throw new BadMessage(`telemetry.counts holds at most ${MAX_TELEMETRY_COUNTS} entries; split the report`);
  const counts: TelemetryCount[] = raw.map((e: unknown, i) => {
    const at = `telemetry.counts[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new BadMessage(`${at} must be an object`);
    const c = e as Record<string, unknown>;
    if (typeof c.key !== 'string' || !KEY.test(c.key)) throw new BadMessage(`${at}.key must be a flag key`);
    const stage = count(c.stage, `${at}.stage`);
    if (stage > MAX_STAGE) throw new BadMessage(`${at}.stage must be at most ${MAX_STAGE}`);
    return { key: c.key, stage, on: count(c.on, `${at}.on`), off: count(c.off, `${at}.off`), fallback: count(c.fallback, `${at}.fallback`) };
  });
  return { type: 'telemetry', counts };
}
