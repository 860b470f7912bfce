// The upgrade request as an open connection keeps it (`connection.request`): the head's text, parsed
// again only when someone reads the headers. Parsed headers cost about half a KiB per connection (a
// dictionary object and its strings); most servers never look at them after the upgrade.
import { HttpHeadParser, type HttpRequestHead } from '../protocol/handshake/http-head-parser.js';
import type { NegotiableRequest } from './negotiate-upgrade.js';

/** A request head that already parsed once (the handshake), kept as text until it is read. */
export class RetainedRequest implements NegotiableRequest {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly secure: boolean;
  /** The head as latin1 text, without its final blank line; null once parsed. */
  #text: string | null;
  #head: HttpRequestHead | null = null;

  constructor(text: string, request: NegotiableRequest) {
    this.#text = text;
    this.remoteAddress = request.remoteAddress;
    this.remotePort = request.remotePort;
    this.secure = request.secure;
  }

  get method(): string {
    return this.#parsed().method;
  }

  get url(): string {
    return this.#parsed().url;
  }

  get httpVersion(): string {
    return this.#parsed().httpVersion;
  }

  get headers(): Readonly<Record<string, string | string[] | undefined>> {
    return this.#parsed().headers;
  }

  #parsed(): HttpRequestHead {
    if (this.#head === null) {
      // The same bytes parsed during the handshake, so this cannot fail.
      const unlimited = Number.POSITIVE_INFINITY;
      const parser = new HttpHeadParser('request', {
        maxHeadSize: unlimited,
        maxLineLength: unlimited,
        maxHeaderCount: unlimited,
      });
      const parsed = parser.push(Buffer.from(`${this.#text}\r\n\r\n`, 'latin1'));
      this.#head = (parsed as { head: HttpRequestHead }).head;
      this.#text = null;
    }
    return this.#head;
  }

  toJSON(): object {
    const { method, url, httpVersion, headers, remoteAddress, remotePort, secure } = this;
    return { method, url, httpVersion, headers, remoteAddress, remotePort, secure };
  }
}
