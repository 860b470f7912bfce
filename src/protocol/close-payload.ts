import { ProtocolError, WebSocketError } from '../errors.js';
import { isValidUtf8 } from './utf8-validator.js';

/** RFC 6455 section 7.4.1: the status reported when a Close frame carried no code. Never sent. */
export const CLOSE_NO_STATUS = 1005;
/** Section 7.4.1: the status reported when the connection closed without a Close frame. Never sent. */
export const CLOSE_ABNORMAL = 1006;
/** Section 5.5: control payloads are at most 125 bytes, 2 of which hold the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

export interface ClosePayload {
  readonly code: number;
  readonly reason: string;
}

/**
 * Whether `code` may appear in a Close frame on the wire (section 7.4.1 and the IANA registry of
 * section 11.7): 1000-1003 and 1007-1014 are defined (1012-1014 registered after the RFC), 3000-4999
 * belong to libraries and applications. 1004 is reserved; 1005, 1006 and 1015 are only reported
 * locally (section 7.4.1: MUST NOT be set in a Close frame); everything else is unassigned.
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

const decoder = new TextDecoder();

/**
 * Parse a received Close payload (section 5.5.1). Throws ProtocolError: 1002 for a 1-byte body or a
 * code that may not be on the wire, 1007 for a reason that is not UTF-8 (section 8.1).
 */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
  const length = payload.length;
  if (length === 0) return { code: CLOSE_NO_STATUS, reason: '' };
  // Section 5.5.1: if there is a body, its first two bytes MUST be a status code.
  if (length === 1) throw new ProtocolError('close frame with a 1-byte payload', 1002);
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidCloseCode(code)) throw new ProtocolError(`invalid close code ${code}`, 1002);
  if (length === 2) return { code, reason: '' };
  const reasonBytes = payload.subarray(2);
  if (!isValidUtf8(reasonBytes)) throw new ProtocolError('close reason is not valid UTF-8', 1007);
  return { code, reason: decoder.decode(reasonBytes) };
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Build the body of a Close frame to send. `code` undefined sends an empty body (then `reason` must
 * be empty: section 5.5.1 puts the reason after a code). Throws WebSocketError(ERR_INVALID_ARGUMENT)
 * for a code that may not be sent or a reason over 123 UTF-8 bytes.
 */
export function buildClosePayload(code: number | undefined, reason = ''): Uint8Array {
  if (code === undefined) {
    if (reason !== '') throw new WebSocketError('ERR_INVALID_ARGUMENT', 'a close reason needs a close code');
    return EMPTY;
  }
  if (!Number.isInteger(code) || !isValidCloseCode(code)) {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', `close code ${code} may not be sent`);
  }
  const reasonBytes = reason === '' ? EMPTY : encoder.encode(reason);
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) {
    throw new WebSocketError(
      'ERR_INVALID_ARGUMENT',
      `close reason is ${reasonBytes.length} bytes; at most ${MAX_CLOSE_REASON_BYTES} fit in a close frame`,
    );
  }
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}
