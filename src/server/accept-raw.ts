// The raw accept path of `listen`: a socket accepted by our own net or tls server takes a slot of the
// admission table, its request head is read without Node's http server, and a WebSocket upgrade goes
// on to negotiation and the hand-over to a Connection (server-handshakes.ts).
import type { Socket } from 'node:net';
import { HandshakeError } from '../errors.js';
import type { HttpRequestHead } from '../protocol/handshake/http-head-parser.js';
import { listHasToken } from '../protocol/handshake/token.js';
import { errorResponse, type NegotiableRequest } from './negotiate-upgrade.js';
import { readRequestHead } from './read-request-head.js';
import type { ServerHandshakes } from './server-handshakes.js';

/** Admits a socket of `listen` (over TLS: once its TLS handshake ended) and reads its request head. */
export function acceptRaw(
  handshakes: ServerHandshakes,
  socket: Socket,
  secure: boolean,
  maxHeaderBytes: number,
): void {
  const pending = handshakes.admitRaw(socket, secure);
  if (pending === undefined) return;
  pending.stopReading = readRequestHead(socket, maxHeaderBytes, {
    onStart: () => handshakes.advance(pending, 'head'),
    onHead: (head, rest, text) => {
      handshakes.advance(pending, 'negotiating');
      if (!listHasToken(headerText(head.headers.upgrade), 'websocket')) {
        if (handshakes.answerPlain(pending, new RawRequest(head, socket, secure))) return;
        // Not an upgrade at all: say so (RFC 9110 15.5.22 asks for an Upgrade field with 426).
        const error = new HandshakeError(
          'This port speaks WebSocket only: connect with a WebSocket client (Upgrade: websocket).',
          426,
          { Upgrade: 'websocket' },
        );
        handshakes.refuse(pending, errorResponse(error));
        return;
      }
      void handshakes.negotiate(pending, new RawRequest(head, socket, secure), rest, false, text);
    },
    onInvalid: (error) => handshakes.refuse(pending, errorResponse(error)),
  });
}

/** The request as the hooks see it; the peer's address is looked up only if a hook reads it. */
class RawRequest implements NegotiableRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: HttpRequestHead['headers'];
  readonly secure: boolean;
  readonly #socket: Socket;

  constructor(head: HttpRequestHead, socket: Socket, secure: boolean) {
    this.method = head.method;
    this.url = head.url;
    this.httpVersion = head.httpVersion;
    this.headers = head.headers;
    this.secure = secure;
    this.#socket = socket;
  }

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
