import { Connection } from '../../src/connection/connection.js';
import type { ConnectionOptions } from '../../src/connection/connection-options.js';
import type { TransportHandler } from '../../src/connection/transport.js';
import {
  type ConnectionPair,
  connectionPair as publicConnectionPair,
} from '../../src/testing/connection-pair.js';
import { createPipe, type PipeOptions, type PipeTransport } from '../../src/testing/pipe.js';
import { fixedMaskSource, type ParsedFrame, parseFrames } from './frames.js';

type SideOptions = Partial<ConnectionOptions>;

export type { ConnectionPair };

/**
 * The public pair (fullduplex/testing) with the suite's default of a fixed client mask, so raw
 * bytes on the wire are predictable.
 */
export function connectionPair(
  options: { client?: SideOptions; server?: SideOptions; both?: SideOptions; pipe?: PipeOptions } = {},
): ConnectionPair {
  return publicConnectionPair({
    ...options,
    client: { maskSource: fixedMaskSource(), ...options.both, ...options.client },
  });
}

/** The far end of a pipe driven by hand: records what arrives, writes raw frames. */
export class RawPeer implements TransportHandler {
  readonly end: PipeTransport;
  received = Buffer.alloc(0);
  ended = false;
  closed = false;

  constructor(end: PipeTransport) {
    this.end = end;
    end.setHandler(this);
  }

  onData(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
  }
  onDrain(): void {}
  onEnd(): void {
    this.ended = true;
  }
  onClose(): void {
    this.closed = true;
  }

  send(...frames: Buffer[]): void {
    this.end.write(frames);
  }

  /** The whole frames received so far, unmasked. */
  frames(): ParsedFrame[] {
    return parseFrames(this.received);
  }
}

/** A raw pipe end facing a Connection of the given role. */
export function rawPair(options: SideOptions & { role?: 'client' | 'server'; pipe?: PipeOptions } = {}): {
  connection: Connection;
  peer: RawPeer;
  connectionEnd: PipeTransport;
} {
  const [a, b] = createPipe(options.pipe);
  const connection = new Connection(a, {
    maskSource: fixedMaskSource(),
    ...options,
    role: options.role ?? 'server',
  });
  return { connection, peer: new RawPeer(b), connectionEnd: a };
}

export { nextTurn as macrotask, until } from '../../src/testing/until.js';
