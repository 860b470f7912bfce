import { Connection } from '../../src/connection/connection.js';
import type { ConnectionOptions } from '../../src/connection/connection-options.js';
import type { TransportHandler } from '../../src/connection/transport.js';
import { fixedMaskSource } from './frames.js';
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

  /** Parse the unmasked frames received so far (server-to-client direction). */
  frames(): { fin: boolean; opcode: number; payload: Buffer }[] {
    const out: { fin: boolean; opcode: number; payload: Buffer }[] = [];
    const bytes = this.received;
    let offset = 0;
    while (offset + 2 <= bytes.length) {
      const b0 = bytes[offset] as number;
      const b1 = bytes[offset + 1] as number;
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        length = bytes.readUInt16BE(offset + 2);
        header = 4;
      } else if (length === 127) {
        length = Number(bytes.readBigUInt64BE(offset + 2));
        header = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const maskOffset = offset + header;
      if (masked) header += 4;
      if (offset + header + length > bytes.length) break;
      const payload = Buffer.from(bytes.subarray(offset + header, offset + header + length));
      if (masked)
        for (let i = 0; i < payload.length; i++)
          payload[i] = (payload[i] as number) ^ (bytes[maskOffset + (i & 3)] as number);
      out.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload });
      offset += header + length;
    }
    return out;
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
