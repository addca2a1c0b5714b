import type { RawData } from 'ws';
import { PROTOCOL_VERSION, type ClientMessage } from '@switchyard-flags/sdk/protocol';
import { parseTelemetry } from './telemetry-message.js';
import { BadMessage } from './bad-message.js';

export { BadMessage };

function version(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new BadMessage(`${what} must be a non-negative integer`);
  return v;
}

const ACK_PREFIX = Buffer.from('{"type":"ack","version":');

/**
 * The version of an ack exactly as the SDK writes it (`{"type":"ack","version":123}`), read
 * from the bytes without decoding or JSON.parse: one arrives per client per change. Anything
 * else, even the same message spelled differently, returns -1 and takes the general path.
 */
function fastAck(data: RawData): number {
  if (!Buffer.isBuffer(data)) return -1;
  const start = ACK_PREFIX.length;
  const end = data.length - 1; // the closing brace
  if (end <= start || end > start + 16 || data[end] !== 0x7d || data.compare(ACK_PREFIX, 0, start, 0, start) !== 0) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = data[i]! - 0x30;
    if (d < 0 || d > 9 || (v === 0 && i > start)) return -1; // a non-digit, or a leading zero
    v = v * 10 + d;
  }
  return Number.isSafeInteger(v) ? v : -1;
}

/** Parses one client frame, or throws BadMessage. Unknown fields are ignored (forward compatible). */
export function parseClientMessage(data: RawData, isBinary: boolean): ClientMessage {
  if (isBinary) throw new BadMessage('binary frames are not part of the protocol: send JSON text');
  const ack = fastAck(data);
  if (ack >= 0) return { type: 'ack', version: ack };
  let msg: unknown;
  try {
    msg = JSON.parse(String(data));
  } catch {
    throw new BadMessage('frame is not valid JSON');
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new BadMessage('a message must be a JSON object');
  const m = msg as Record<string, unknown>;
  switch (m.type) {
    case 'hello': {
      if (m.protocol !== PROTOCOL_VERSION) {
        throw new BadMessage(`unsupported protocol ${JSON.stringify(m.protocol)}: this server speaks protocol ${PROTOCOL_VERSION}`, 'unsupported_protocol');
      }
      if (m.sdk !== undefined && (typeof m.sdk !== 'string' || m.sdk.length > 100)) throw new BadMessage('hello.sdk must be a string of at most 100 characters');
      return { type: 'hello', protocol: PROTOCOL_VERSION, version: version(m.version, 'hello.version'), sdk: m.sdk as string | undefined };
    }
    case 'ack':
      return { type: 'ack', version: version(m.version, 'ack.version') };
    case 'telemetry':
      return parseTelemetry(m);
    default:
      throw new BadMessage(`unknown message type ${JSON.stringify(m.type)}: expected hello, ack or telemetry`);
  }
}
