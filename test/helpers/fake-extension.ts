// A stand-in PerMessageExtension whose "compression" inverts every byte, so tests can see which
// payloads went through it, with the limit and error behaviour the contract asks for.
import { MessageTooBigError, ProtocolError } from '../../src/errors.js';
import type { PerMessageExtension } from '../../src/protocol/extensions/extension.js';

export class InvertingExtension implements PerMessageExtension {
  readonly name = 'x-invert';
  readonly decompressCalls: { chunk: string; end: boolean; limit: number }[] = [];
  readonly compressCalls: { data: string; end: boolean }[] = [];
  disposed = false;
  /** Throw a plain Error (not a ProtocolError) on the next decompress. */
  throwForeign = false;

  decompress(chunk: Buffer, end: boolean, limit: number): Buffer {
    this.decompressCalls.push({ chunk: chunk.toString('hex'), end, limit });
    if (this.throwForeign) throw new Error('zlib exploded');
    const out = Buffer.from(chunk.map((byte) => byte ^ 0xff));
    // "Corrupt data": a 0xff byte on the wire inflates to 0x00, which this codec forbids.
    if (out.includes(0)) throw new ProtocolError('corrupt compressed data', 1007);
    if (out.length > limit) throw new MessageTooBigError('inflated message too big', limit);
    return out;
  }

  compress(data: Buffer, end: boolean): Buffer {
    this.compressCalls.push({ data: data.toString('hex'), end });
    return Buffer.from(data.map((byte) => byte ^ 0xff));
  }

  dispose(): void {
    this.disposed = true;
  }
}

export function invert(data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.from(bytes.map((byte) => byte ^ 0xff));
}
