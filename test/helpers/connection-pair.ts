import { Connection } from '../../src/connection/connection.js';
import type { ConnectionOptions } from '../../src/connection/connection-options.js';
import type { TransportHandler } from '../../src/connection/transport.js';
import { fixedMaskSource, type ParsedFrame, parseFrames } from './frames.js';
import { createPipe, type PipeOptions, type PipeTransport } from './pipe.js';

type SideOptions = Partial<ConnectionOptions>;

export interface ConnectionPair {
  readonly client: Connection;
  readonly server: Connection;
  readonly clientEnd: PipeTransport;
  readonly serverEnd: PipeTransport;
}

/** A client Connection and a server Connection joined by an in-memory pipe (real Protocols both sides). */
export function connectionPair(
  options: { client?: SideOptions; server?: SideOptions; both?: SideOptions; pipe?: PipeOptions } = {},
): ConnectionPair {
  const [clientEnd, serverEnd] = createPipe(options.pipe);
  const server = new Connection(serverEnd, { ...options.both, ...options.server, role: 'server' });
  const client = new Connection(clientEnd, {
    maskSource: fixedMaskSource(),
    ...options.both,
    ...options.client,
    role: 'client',
  });
  return { client, server, clientEnd, serverEnd };
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

export function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Let the pipe deliver until `condition` holds; fails after `turns` macrotasks (bounded, no wall-clock timing). */
export async function until(condition: () => boolean, turns = 10_000): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    if (condition()) return;
    await macrotask();
  }
  throw new Error('condition not reached');
}
