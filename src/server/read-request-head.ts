// Reads one HTTP request head from a raw socket accepted by `listen`, without Node's http server: an
// upgrade-only listener needs no request objects, no response objects and no keep-alive machinery.
import type { Duplex } from 'node:stream';
import { HandshakeError } from '../errors.js';
import { HttpHeadParser, type HttpRequestHead } from '../protocol/handshake/http-head-parser.js';

export interface RequestHeadCallbacks {
  /** The first bytes arrived (once, before `onHead` or `onInvalid`, which may follow in the same turn). */
  onStart(): void;
  /** The head is complete; the socket is paused and `rest` holds the bytes that followed it. */
  onHead(head: HttpRequestHead, rest: Buffer, text: string): void;
  /** The bytes are not a request head we accept; answer with `error.status`. */
  onInvalid(error: HandshakeError): void;
}

/**
 * Feeds the socket's bytes to an HttpHeadParser until the head ends. Returns a function that stops
 * reading (for timeouts and shutdown).
 */
export function readRequestHead(
  socket: Duplex,
  maxHeadSize: number,
  callbacks: RequestHeadCallbacks,
): () => void {
  const parser = new HttpHeadParser('request', { maxHeadSize, maxLineLength: maxHeadSize });
  const stop = (): void => {
    // Pause before removing the listener: a flowing stream with no 'data' listener drops bytes.
    socket.pause();
    socket.off('data', onData);
  };
  let started = false;
  const onData = (chunk: Buffer): void => {
    if (!started) {
      started = true;
      callbacks.onStart();
    }
    let parsed: ReturnType<typeof parser.push>;
    try {
      parsed = parser.push(chunk);
    } catch (error) {
      stop();
      callbacks.onInvalid(
        error instanceof HandshakeError
          ? error
          : new HandshakeError('unreadable request head', 400, {}, { cause: error }),
      );
      return;
    }
    if (parsed === null) return;
    stop();
    callbacks.onHead(parsed.head, parsed.rest, parsed.text);
  };
  socket.on('data', onData);
  return stop;
}
