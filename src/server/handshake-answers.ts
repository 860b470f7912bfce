// The HTTP answers that end a handshake without an upgrade: the 503s of the admission limits (built
// once per server), and how a refused socket is closed.
import type { Duplex } from 'node:stream';
import { HandshakeError } from '../errors.js';
import { errorResponse } from './negotiate-upgrade.js';

/** The cheap 503 answers of the admission limits, with `Retry-After`, each saying which limit. */
export interface BusyAnswers {
  readonly connections: string;
  readonly handshakes: string;
  readonly address: string;
  readonly memory: string;
}

export function busyAnswers(retryAfterSeconds: number): BusyAnswers {
  const retryAfter = String(Math.ceil(retryAfterSeconds));
  const busy = (why: string): string =>
    errorResponse(new HandshakeError(why, 503, { 'Retry-After': retryAfter }));
  return {
    connections: busy('too many connections (maxConnections), try again later'),
    handshakes: busy('too many handshakes in progress (maxPendingHandshakes), try again later'),
    address: busy(
      'too many handshakes in progress from your address (maxPendingHandshakesPerAddress), try again later',
    ),
    memory: busy('server over its memory budget (memoryBudget), try again later'),
  };
}

/**
 * Writes `response` and closes the socket once it is flushed, or after `linger` ms if the peer does
 * not read it (a peer that never reads would keep 'finish' from firing).
 */
export function answerAndClose(socket: Duplex, response: string | Uint8Array, linger: number): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  // Destroy after 'finish' rather than waiting for the client's FIN, which may never come.
  socket.once('finish', () => socket.destroy());
  if (typeof response === 'string') socket.end(response, 'latin1');
  else socket.end(response);
  const timer = setTimeout(() => socket.destroy(), linger);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
