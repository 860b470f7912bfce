// The Sec-WebSocket-Extensions grammar (RFC 6455 9.1):
//   Sec-WebSocket-Extensions = extension-list
//   extension-list = 1#extension
//   extension = extension-token *( ";" extension-param )
//   extension-param = token [ "=" (token | quoted-string) ]
// with optional whitespace around the separators (the implied *LWS of RFC 2616 2.1).
import { HandshakeError, WebSocketError } from '../../errors.js';
import { isOws, isToken, isTokenChar } from '../handshake/token.js';

/** One parameter: its name and its value, or `true` when it has none. */
export type ExtensionParam = [name: string, value: string | true];

/** One element of the header: an extension offered by a client or accepted by a server. */
export interface ExtensionOffer {
  name: string;
  params: ExtensionParam[];
}

/**
 * Parses one or more Sec-WebSocket-Extensions values (several header lines combine as one list,
 * RFC 6455 9.1 and 11.3.2). Throws HandshakeError(400) naming the offset of the first fault.
 */
export function parseExtensionHeader(value: string | readonly string[]): ExtensionOffer[] {
  const text = typeof value === 'string' ? value : value.join(', ');
  const reader = new Reader(text);
  const extensions: ExtensionOffer[] = [];
  for (;;) {
    reader.skipOws();
    if (reader.atEnd()) break;
    // Empty list elements are ignored (RFC 9110 5.6.1).
    if (reader.peek() === 0x2c) {
      reader.index++;
      continue;
    }
    const name = reader.token('an extension name');
    const params: ExtensionParam[] = [];
    reader.skipOws();
    while (reader.peek() === 0x3b /* ; */) {
      reader.index++;
      reader.skipOws();
      const paramName = reader.token('a parameter name');
      reader.skipOws();
      let paramValue: string | true = true;
      if (reader.peek() === 0x3d /* = */) {
        reader.index++;
        reader.skipOws();
        paramValue = reader.peek() === 0x22 ? reader.quotedToken() : reader.token('a parameter value');
        reader.skipOws();
      }
      params.push([paramName, paramValue]);
    }
    extensions.push({ name, params });
    if (reader.atEnd()) break;
    if (reader.peek() !== 0x2c) reader.fail('"," or ";"');
    reader.index++;
  }
  // extension-list = 1#extension: at least one element.
  if (extensions.length === 0) throw new HandshakeError('Sec-WebSocket-Extensions lists no extension', 400);
  return extensions;
}

/**
 * Serializes extensions as `name; param; param=value, name2`. Values must be tokens (a quoted value
 * must be a token after unquoting anyway, RFC 6455 9.1), so quoting is never needed.
 * Throws WebSocketError(ERR_INVALID_ARGUMENT) on a name or value that is not a token.
 */
export function serializeExtensionHeader(
  extensions: ReadonlyArray<{
    readonly name: string;
    readonly params: ReadonlyArray<readonly [string, string | true]>;
  }>,
): string {
  let out = '';
  for (const extension of extensions) {
    assertToken(extension.name, 'extension name');
    if (out.length > 0) out += ', ';
    out += extension.name;
    for (const [name, value] of extension.params) {
      assertToken(name, 'extension parameter name');
      out += `; ${name}`;
      if (value !== true) {
        assertToken(value, `value of extension parameter ${name}`);
        out += `=${value}`;
      }
    }
  }
  return out;
}

function assertToken(value: string, what: string): void {
  if (!isToken(value)) {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', `${what} ${JSON.stringify(value)} is not a token`);
  }
}

class Reader {
  index = 0;
  constructor(readonly text: string) {}

  atEnd(): boolean {
    return this.index >= this.text.length;
  }

  peek(): number {
    return this.index < this.text.length ? this.text.charCodeAt(this.index) : -1;
  }

  skipOws(): void {
    while (isOws(this.peek())) this.index++;
  }

  token(what: string): string {
    const start = this.index;
    while (isTokenChar(this.peek())) this.index++;
    if (this.index === start) this.fail(what);
    return this.text.slice(start, this.index);
  }

  // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 5.6.4); RFC 6455 9.1: the
  // value after unescaping MUST conform to the token ABNF.
  quotedToken(): string {
    const start = this.index;
    this.index++;
    let value = '';
    for (;;) {
      const c = this.peek();
      if (c === -1) this.fail('a closing quote');
      this.index++;
      if (c === 0x22) break;
      if (c === 0x5c /* \ */) {
        const escaped = this.peek();
        if (escaped === -1) this.fail('a character after "\\"');
        this.index++;
        value += String.fromCharCode(escaped);
      } else {
        value += String.fromCharCode(c);
      }
    }
    if (!isToken(value)) {
      throw new HandshakeError(
        `Sec-WebSocket-Extensions: quoted value at offset ${start} is not a token after unquoting (RFC 6455 9.1)`,
        400,
      );
    }
    return value;
  }

  fail(expected: string): never {
    const found = this.atEnd() ? 'end of header' : JSON.stringify(this.text[this.index]);
    throw new HandshakeError(
      `Sec-WebSocket-Extensions: expected ${expected} at offset ${this.index}, found ${found}`,
      400,
    );
  }
}
