// The upgrade request as an open connection keeps it (`connection.request`): the head's text, parsed
// again only when someone reads the headers. Parsed headers cost about half a KiB per connection (a
// dictionary object and its strings); most servers never look at them after the upgrade.
import { HttpHeadParser, type HttpRequestHead } from '../protocol/handshake/http-head-parser.js';
import type { NegotiableRequest } from './negotiate-upgrade.js';

/** Where the peer's address is read from, when someone asks (a getpeername call we otherwise skip). */
interface PeerSource {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

/** A request head that already parsed once (the handshake), kept as text until it is read. */
export class RetainedRequest implements NegotiableRequest {
  readonly secure: boolean;
  readonly #peer: PeerSource;
  /** The head as latin1 text, without its final blank line; null once parsed. */
  #text: string | null;
  #head: HttpRequestHead | null = null;

  /** `peer`: the socket (its address is looked up on first read and cached by Node). */
  constructor(text: string, peer: PeerSource, secure: boolean) {
    this.#text = text;
    this.#peer = peer;
    this.secure = secure;
  }

  get remoteAddress(): string | undefined {
    return this.#peer.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#peer.remotePort;
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
