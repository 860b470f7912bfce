// An incremental parser for an HTTP/1.1 request head or response head (RFC 9112 sections 2-5).
//
// Line endings: only CRLF is accepted. RFC 9112 2.2 lets a recipient accept a bare LF, but a bare LF
// or CR is the classic lever for request smuggling: if a proxy in front of us ends the head at a
// different byte than we do, the bytes after it (which we treat as WebSocket frames) differ too.
// Every WebSocket client sends CRLF, so strictness costs nothing. Bare CR or LF -> 400.
import { HandshakeError, WebSocketError } from '../../errors.js';
import { isFieldValue } from './header-fields.js';
import { isOws, isToken, trimOws } from './token.js';

/** Fields shared by both heads. `headers` follows Node's IncomingMessage conventions. */
export interface HttpHeadFields {
  /** "1.1" for HTTP/1.1 (as Node's `httpVersion`). */
  readonly httpVersion: string;
  /**
   * By lower-case name. Repeated fields are combined with ", " (RFC 9110 5.3), so a repeated
   * singleton field (Host, Sec-WebSocket-Key) gives an invalid value; set-cookie stays an array.
   */
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** Every field line in order, original case, values trimmed: duplicates stay separable here. */
  readonly fields: ReadonlyArray<readonly [name: string, value: string]>;
}

export interface HttpRequestHead extends HttpHeadFields {
  readonly kind: 'request';
  readonly method: string;
  /** The request-target as sent (origin-form "/path?q" or absolute-form). */
  readonly url: string;
}

export interface HttpResponseHead extends HttpHeadFields {
  readonly kind: 'response';
  readonly statusCode: number;
  readonly statusMessage: string;
}

export type HttpHeadKind = 'request' | 'response';
export type HttpHeadOf<K extends HttpHeadKind> = K extends 'request' ? HttpRequestHead : HttpResponseHead;

export interface ParsedHttpHead<H> {
  readonly head: H;
  /** Bytes after the blank line that ends the head: the start of the WebSocket stream. A view. */
  readonly rest: Buffer;
  /** The head as latin1 text, without the blank line that ends it (parse it again to get `head`). */
  readonly text: string;
}

export interface HttpHeadParserOptions {
  /** Bytes up to and including the final CRLFCRLF. Default 8192. */
  readonly maxHeadSize?: number;
  /** Bytes in one line, CRLF excluded. Default 8192 (so, by default, only the head size limits). */
  readonly maxLineLength?: number;
  /** Field lines. Default 100. */
  readonly maxHeaderCount?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const VERSION_PATTERN = /^HTTP\/(\d)\.(\d)$/;
const STATUS_LINE_PATTERN = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/;

/**
 * Feed it chunks of any size with `push`; it returns null until the head is complete, then the head
 * and the leftover bytes. It throws only HandshakeError for anything in the bytes: on the request
 * side `status` is what to answer (400, 414, 431); on the response side it is 0, as no valid status
 * was received. After the head or an error, the parser is spent.
 */
export class HttpHeadParser<K extends HttpHeadKind> {
  readonly kind: K;
  private readonly maxHeadSize: number;
  private readonly maxLineLength: number;
  private readonly maxHeaderCount: number;
  /** Partial head bytes from earlier chunks (copies: the head is small, callers may reuse buffers). */
  private readonly pending: Buffer[] = [];
  private size = 0;
  private lineLength = 0;
  private lineCount = 0;
  private sawCR = false;
  private state: 'reading' | 'done' | 'failed' = 'reading';
  private error: HandshakeError | undefined;

  constructor(kind: K, options: HttpHeadParserOptions = {}) {
    this.kind = kind;
    this.maxHeadSize = options.maxHeadSize ?? 8192;
    this.maxLineLength = options.maxLineLength ?? 8192;
    this.maxHeaderCount = options.maxHeaderCount ?? 100;
  }

  /** Bytes of head consumed so far. */
  get bytesRead(): number {
    return this.size;
  }

  push(chunk: Uint8Array): ParsedHttpHead<HttpHeadOf<K>> | null {
    if (this.state === 'failed') throw this.error as HandshakeError;
    if (this.state === 'done')
      throw new WebSocketError('ERR_INVALID_ARGUMENT', 'the head was already parsed');
    const bytes =
      chunk instanceof Buffer ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // The scan only finds line ends and enforces limits; the finished head is validated in one pass.
    // Its counters live in locals while it runs (stored back before returning): this loop runs once
    // per byte of every request head.
    const maxHeadSize = this.maxHeadSize;
    const maxLineLength = this.maxLineLength;
    let size = this.size;
    let sawCR = this.sawCR;
    let lineLength = this.lineLength;
    let lineCount = this.lineCount;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i] as number;
      if (++size > maxHeadSize) {
        this.fail(431, `HTTP head is larger than ${maxHeadSize} bytes`);
      }
      if (sawCR) {
        if (byte !== LF) this.fail(400, 'bare CR in HTTP head (RFC 9112 2.2)');
        sawCR = false;
        if (lineLength === 0) {
          if (lineCount === 0 && this.kind === 'request') {
            // RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request-line.
            continue;
          }
          if (lineCount === 0) this.fail(400, 'empty status line');
          this.size = size;
          this.sawCR = false;
          this.lineCount = lineCount;
          this.lineLength = 0;
          return this.finish(bytes, i + 1);
        }
        lineCount++;
        // The start line plus maxHeaderCount field lines.
        if (lineCount > this.maxHeaderCount + 1) {
          this.fail(431, `more than ${this.maxHeaderCount} header fields`);
        }
        lineLength = 0;
      } else if (byte === CR) {
        sawCR = true;
      } else if (byte === LF) {
        this.fail(400, 'bare LF in HTTP head: lines must end with CRLF (RFC 9112 2.2)');
      } else if (++lineLength > maxLineLength) {
        if (lineCount === 0) {
          this.fail(this.kind === 'request' ? 414 : 0, `start line longer than ${maxLineLength} bytes`);
        }
        this.fail(431, `header line longer than ${maxLineLength} bytes`);
      }
    }
    this.size = size;
    this.sawCR = sawCR;
    this.lineLength = lineLength;
    this.lineCount = lineCount;
    this.pending.push(Buffer.from(bytes));
    return null;
  }

  private finish(last: Buffer, end: number): ParsedHttpHead<HttpHeadOf<K>> {
    let raw = last;
    let rawEnd = end;
    if (this.pending.length > 0) {
      this.pending.push(last.subarray(0, end));
      raw = Buffer.concat(this.pending);
      rawEnd = raw.length;
      this.pending.length = 0;
    }
    // latin1 maps each byte to one code unit, so obs-text survives and nothing can fail to decode.
    const text = raw.toString('latin1', 0, rawEnd - 4);
    const lines = text.split('\r\n');
    // Drop leading empty lines (already allowed by the scan, request side only).
    let first = 0;
    while (lines[first] === '') first++;
    const startLine = lines[first] as string;
    const fields: Array<readonly [string, string]> = [];
    const headers: Record<string, string | string[]> = Object.create(null);
    for (let n = first + 1; n < lines.length; n++) {
      const [name, value] = this.parseField(lines[n] as string);
      fields.push([name, value]);
      const key = name.toLowerCase();
      const existing = headers[key];
      if (key === 'set-cookie') {
        // Cookies cannot be combined with commas (RFC 9110 5.3), so they stay separate, as in Node.
        if (existing === undefined) headers[key] = [value];
        else (existing as string[]).push(value);
      } else {
        headers[key] = existing === undefined ? value : `${existing}, ${value}`;
      }
    }
    // Built whole rather than spread from a partial head: an object spread followed by more
    // properties takes V8's slow path, several µs per handshake.
    const head =
      this.kind === 'request'
        ? this.requestHead(startLine, headers, fields)
        : this.responseHead(startLine, headers, fields);
    this.state = 'done';
    return { head: head as HttpHeadOf<K>, rest: last.subarray(end), text };
  }

  // request-line = method SP request-target SP HTTP-version (RFC 9112 3)
  private requestHead(
    line: string,
    headers: HttpHeadFields['headers'],
    fields: HttpHeadFields['fields'],
  ): HttpRequestHead {
    const parts = line.split(' ');
    if (parts.length !== 3) {
      this.fail(
        400,
        parts.length === 2
          ? 'request line is missing the request-target'
          : 'request line must be "method SP request-target SP HTTP-version"',
      );
    }
    const [method, url, version] = parts as [string, string, string];
    if (!isToken(method)) this.fail(400, 'request method is not a token');
    if (url.length === 0) this.fail(400, 'request line is missing the request-target');
    for (let i = 0; i < url.length; i++) {
      const c = url.charCodeAt(i);
      if (c < 0x21 || c > 0x7e) this.fail(400, 'request-target holds a character outside visible ASCII');
    }
    const match = VERSION_PATTERN.exec(version);
    if (match === null) this.fail(400, `invalid HTTP version ${JSON.stringify(version)}`);
    return { kind: 'request', method, url, httpVersion: `${match[1]}.${match[2]}`, headers, fields };
  }

  // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4); the second SP is
  // tolerated when missing, as many servers omit it with an empty reason.
  private responseHead(
    line: string,
    headers: HttpHeadFields['headers'],
    fields: HttpHeadFields['fields'],
  ): HttpResponseHead {
    const match = STATUS_LINE_PATTERN.exec(line);
    if (match === null) this.fail(0, 'invalid HTTP status line');
    const statusMessage = match[4] ?? '';
    if (!isFieldValue(statusMessage)) this.fail(0, 'control character in reason phrase');
    return {
      kind: 'response',
      httpVersion: `${match[1]}.${match[2]}`,
      statusCode: Number(match[3]),
      statusMessage,
      headers,
      fields,
    };
  }

  // field-line = field-name ":" OWS field-value OWS (RFC 9112 5)
  private parseField(line: string): [string, string] {
    // RFC 9112 5.2: obs-fold is deprecated; a server MAY reject it with 400, which we do on both sides.
    if (isOws(line.charCodeAt(0))) this.fail(400, 'obsolete line folding in header (RFC 9112 5.2)');
    const colon = line.indexOf(':');
    if (colon === -1) this.fail(400, 'header line without ":"');
    const name = line.slice(0, colon);
    // RFC 9112 5.1: no whitespace between name and colon; a server MUST reject it with 400.
    if (!isToken(name)) this.fail(400, `invalid header name ${JSON.stringify(name)}`);
    const value = trimOws(line.slice(colon + 1));
    if (!isFieldValue(value)) this.fail(400, `control character in the value of header ${name}`);
    return [name, value];
  }

  private fail(status: number, message: string): never {
    this.state = 'failed';
    this.pending.length = 0;
    this.error = new HandshakeError(message, this.kind === 'request' ? status : 0);
    throw this.error;
  }
}
