import type { RawData } from 'ws';
import { PROTOCOL_VERSION, type ClientMessage } from '../../sdk/src/protocol.js';
import { parseTelemetry } from '../telemetry/telemetry-message.js';
import { BadMessage } from './bad-message.js';

export { BadMessage };

function version(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new BadMessage(`${what} must be a non-negative integer`);
  return v;
}

/** Parses one client frame, or throws BadMessage. Unknown fields are ignored (forward compatible). */
export function parseClientMessage(data: RawData, isBinary: boolean): ClientMessage {
  if (isBinary) throw new BadMessage('binary frames are not part of the protocol: send JSON text');
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
