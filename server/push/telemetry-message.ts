import { MAX_TELEMETRY_COUNTS, MAX_TELEMETRY_REACH, REACH_MAX_RANK, REACH_REGISTERS, type TelemetryCount, type TelemetryMessage, type TelemetryReach } from '@switchyard-flags/sdk/protocol';
import { BadMessage } from './bad-message.js';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Stages are 0..20 today (a plan has at most 20); leave room without accepting nonsense. */
const MAX_STAGE = 1000;

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new BadMessage(`${what} must be a non-negative integer`);
  return v;
}

/**
 * Validates a `telemetry` message (docs/protocol.md): `counts` is an array of at most
 * MAX_TELEMETRY_COUNTS entries `{key, stage, on, off, fallback}`, and the optional `reach` is an
 * array of distinct-user sketches `{key, stage, regs}`. Anything off closes the
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
  const msg: TelemetryMessage = { type: 'telemetry', counts };
  if (m.reach !== undefined) msg.reach = parseReach(m.reach);
  return msg;
}

const REGS = new RegExp(`^[0-9a-f]{${REACH_REGISTERS * 2}}$`);

/** `telemetry.reach`: at most MAX_TELEMETRY_REACH entries `{key, stage, regs}`, regs 64 lowercase hex bytes each 0..25. */
function parseReach(raw: unknown): TelemetryReach[] {
  if (!Array.isArray(raw)) throw new BadMessage('telemetry.reach must be an array');
  if (raw.length > MAX_TELEMETRY_REACH) throw new BadMessage(`telemetry.reach holds at most ${MAX_TELEMETRY_REACH} entries; split the report`);
  return raw.map((e: unknown, i) => {
    const at = `telemetry.reach[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new BadMessage(`${at} must be an object`);
    const r = e as Record<string, unknown>;
    if (typeof r.key !== 'string' || !KEY.test(r.key)) throw new BadMessage(`${at}.key must be a flag key`);
    const stage = count(r.stage, `${at}.stage`);
    if (stage > MAX_STAGE) throw new BadMessage(`${at}.stage must be at most ${MAX_STAGE}`);
    const regs = r.regs;
    if (typeof regs !== 'string' || !REGS.test(regs)) throw new BadMessage(`${at}.regs must be ${REACH_REGISTERS} registers as ${REACH_REGISTERS * 2} lowercase hex digits`);
    for (let j = 0; j < regs.length; j += 2) {
      if (parseInt(regs.slice(j, j + 2), 16) > REACH_MAX_RANK) throw new BadMessage(`${at}.regs: a register holds at most ${REACH_MAX_RANK}`);
    }
    return { key: r.key, stage, regs };
  });
}
