// Reading header records (Node's IncomingMessage shape or HttpHeadParser's) and writing header lines.
import { WebSocketError } from '../../errors.js';
import { isToken } from './token.js';

/** Header fields by lower-case name, as Node's `IncomingMessage.headers` and `HttpHeadParser` give them. */
export type HeaderRecord = Readonly<Record<string, string | string[] | undefined>>;

/**
 * One field's value with repeated lines combined by ", " (RFC 9110 5.3). For a singleton field
 * (Host, Sec-WebSocket-Key) the combined value is invalid, which is how duplicates get rejected.
 */
export function headerValue(headers: HeaderRecord, name: string): string | undefined {
  const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

/** Flattens a header record to the `Record<string, string>` that HandshakeError carries. */
export function flattenHeaders(headers: HeaderRecord): Record<string, string> {
  const flat: Record<string, string> = Object.create(null);
  for (const name of Object.keys(headers)) {
    const value = headerValue(headers, name);
    if (value !== undefined) flat[name] = value;
  }
  return flat;
}

/** Whether the value holds only HTAB, SP, VCHAR and obs-text (RFC 9110 5.5): no CR, LF, NUL or CTL. */
export function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/** One `Name: value\r\n` line; throws ERR_INVALID_ARGUMENT on a bad name or a value that could inject lines. */
export function headerLine(name: string, value: string): string {
  if (!isToken(name)) {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', `invalid header name ${JSON.stringify(name)}`);
  }
  if (!isFieldValue(value)) {
    throw new WebSocketError(
      'ERR_INVALID_ARGUMENT',
      `header ${name} has a value with CR, LF or another control character`,
    );
  }
  return `${name}: ${value}\r\n`;
}

/**
 * Lines for caller-supplied extra headers. A name in `reserved` (lower-case) would override a field
 * the handshake sets itself, so it is refused rather than silently dropped.
 */
export function extraHeaderLines(
  headers: Readonly<Record<string, string>> | undefined,
  reserved: ReadonlySet<string>,
): string {
  if (headers === undefined) return '';
  let lines = '';
  for (const name of Object.keys(headers)) {
    if (reserved.has(name.toLowerCase())) {
      throw new WebSocketError('ERR_INVALID_ARGUMENT', `header ${name} is set by the handshake itself`);
    }
    lines += headerLine(name, headers[name] as string);
  }
  return lines;
}
