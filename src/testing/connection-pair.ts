import { Connection } from '../connection/connection.js';
import type { ConnectionOptions } from '../connection/connection-options.js';
import { createPipe, type PipeOptions, type PipeTransport } from './pipe.js';

/** Options for one side of a pair; `role` is set by the pair. */
export type PairSideOptions = Partial<Omit<ConnectionOptions, 'role'>>;

export interface ConnectionPairOptions {
  /** Options for the client side (over `both`). */
  readonly client?: PairSideOptions;
  /** Options for the server side (over `both`). */
  readonly server?: PairSideOptions;
  /** Options for both sides, e.g. `{ clock }` to run both on one FakeClock. */
  readonly both?: PairSideOptions;
  /** The pipe's high-water mark and chunk size. */
  readonly pipe?: PipeOptions;
}

export interface ConnectionPair {
  readonly client: Connection;
  readonly server: Connection;
  /** The client's end of the pipe: pause() it to stop the client reading (a slow consumer). */
  readonly clientEnd: PipeTransport;
  /** The server's end of the pipe. */
  readonly serverEnd: PipeTransport;
}

/**
 * A client Connection and a server Connection joined by an in-memory pipe: both are the real
 * Connection (real framing, masking, close handshake, backpressure), with no sockets and no
 * handshake. Bytes move one chunk per macrotask, so await `until(...)` to let them flow.
 */
export function connectionPair(options: ConnectionPairOptions = {}): ConnectionPair {
  const [clientEnd, serverEnd] = createPipe(options.pipe);
  const server = new Connection(serverEnd, { ...options.both, ...options.server, role: 'server' });
  const client = new Connection(clientEnd, { ...options.both, ...options.client, role: 'client' });
  return { client, server, clientEnd, serverEnd };
}
