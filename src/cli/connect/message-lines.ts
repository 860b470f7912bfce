import type { MessageType } from '../../protocol/types.js';

/** Bytes of a binary message shown on a terminal before the rest is only counted. */
const SHOWN_BYTES = 64;

/**
 * One arriving message as a line. For scripts (`readable` false) text is printed as it is and binary
 * as plain hex. On a terminal binary gets its size, spaced hex bytes and the printable ASCII beside
 * them, like a hex dump on one line.
 */
export function messageLine(data: Buffer, type: MessageType, readable: boolean): string {
  if (type === 'text') return data.toString('utf8');
  if (!readable) return data.toString('hex');
  return `[binary, ${data.length} byte${data.length === 1 ? '' : 's'}]${data.length > 0 ? ` ${dump(data)}` : ''}`;
}

/** A control frame's payload, for --show-ping-pong. */
export function controlLine(kind: 'ping' | 'pong', payload: Buffer): string {
  return payload.length === 0 ? kind : `${kind} ${dump(payload)}`;
}

function dump(data: Buffer): string {
  const shown = data.subarray(0, SHOWN_BYTES);
  const hex = Array.from(shown, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  const ascii = Array.from(shown, (byte) =>
    byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.',
  ).join('');
  const more = data.length > SHOWN_BYTES ? ` ... (${data.length - SHOWN_BYTES} more bytes)` : '';
  return `${hex}  |${ascii}|${more}`;
}
