import type { Transport, TransportHandler } from '../connection/transport.js';

export interface PipeOptions {
  /** write() returns false at or over this many undelivered bytes (net.Socket's default: 16 KiB). */
  readonly highWaterMark?: number;
  /** Delivered chunks are at most this big, like socket reads (default 64 KiB). */
  readonly chunkSize?: number;
}

/**
 * One end of an in-memory byte pipe with socket semantics: written bytes are copied (as the kernel
 * would), delivered to the other end one chunk per macrotask, held while that end is paused;
 * write() reports the high-water mark and 'drain' follows; end() delivers FIN after the data; the
 * pipe closes once both ends sent FIN, or at once on destroy().
 */
export class PipeTransport implements Transport {
  peer!: PipeTransport;
  /** transport.write() calls made on this end. */
  writeCalls = 0;
  bytesWritten = 0;
  /** The most bytes ever waiting, written by this end and not yet delivered to the peer. */
  maxWritableLength = 0;
  paused = false;
  closed = false;
  readonly remoteAddress: string | undefined = '127.0.0.1';
  readonly remotePort: number | undefined = 1;

  #handler: TransportHandler | null = null;
  readonly #highWaterMark: number;
  readonly #chunkSize: number;
  /** Chunks written by the peer, waiting to be delivered to this end. */
  readonly #inbound: Buffer[] = [];
  #undelivered = 0;
  #needDrain = false;
  #endSent = false;
  /** The peer's FIN, waiting behind its data. */
  #endPending = false;
  #finDelivered = false;
  #scheduled = false;

  constructor(options: PipeOptions = {}) {
    this.#highWaterMark = options.highWaterMark ?? 16 * 1024;
    this.#chunkSize = options.chunkSize ?? 64 * 1024;
  }

  setHandler(handler: TransportHandler): void {
    this.#handler = handler;
  }

  /** Bytes written by this end that the peer has not received yet. */
  get writableLength(): number {
    return this.peer.#undelivered;
  }

  /** Bytes the peer has taken (delivered to it): the pipe's "handed to the OS". */
  get flushedBytes(): number {
    return this.bytesWritten - this.writableLength;
  }

  write(chunks: Buffer[]): boolean {
    this.writeCalls++;
    if (this.closed || this.#endSent) return true;
    const data = Buffer.concat(chunks);
    this.bytesWritten += data.length;
    const peer = this.peer;
    for (let offset = 0; offset < data.length; offset += this.#chunkSize) {
      peer.#inbound.push(data.subarray(offset, offset + this.#chunkSize));
    }
    peer.#undelivered += data.length;
    if (peer.#undelivered > this.maxWritableLength) this.maxWritableLength = peer.#undelivered;
    peer.#schedule();
    const ok = peer.#undelivered < this.#highWaterMark;
    if (!ok) this.#needDrain = true;
    return ok;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.#schedule();
  }

  end(): void {
    if (this.#endSent || this.closed) return;
    this.#endSent = true;
    this.peer.#endPending = true;
    this.peer.#schedule();
  }

  destroy(): void {
    if (this.closed) return;
    for (const end of [this, this.peer]) {
      end.#inbound.length = 0;
      end.#undelivered = 0;
    }
    this.#closeBoth();
  }

  #schedule(): void {
    if (this.#scheduled || this.closed) return;
    this.#scheduled = true;
    setImmediate(() => this.#deliverOne());
  }

  /** One chunk per macrotask, so microtasks run between reads as they do with a socket. */
  #deliverOne(): void {
    this.#scheduled = false;
    if (this.closed || this.paused) return;
    const chunk = this.#inbound.shift();
    if (chunk) {
      this.#undelivered -= chunk.length;
      this.#handler?.onData(chunk);
      const writer = this.peer;
      if (writer.#needDrain && this.#undelivered === 0 && !writer.closed) {
        writer.#needDrain = false;
        writer.#handler?.onDrain();
      }
    } else if (this.#endPending && !this.#finDelivered) {
      this.#finDelivered = true;
      this.#handler?.onEnd();
      if (this.peer.#finDelivered) this.#closeBoth();
      return;
    }
    if (this.#inbound.length > 0 || (this.#endPending && !this.#finDelivered)) this.#schedule();
  }

  #closeBoth(): void {
    for (const end of [this, this.peer]) {
      if (end.closed) continue;
      end.closed = true;
      setImmediate(() => end.#handler?.onClose());
    }
  }
}

/** Two connected ends: [client, server]. */
export function createPipe(options: PipeOptions = {}): [PipeTransport, PipeTransport] {
  const client = new PipeTransport(options);
  const server = new PipeTransport(options);
  client.peer = server;
  server.peer = client;
  return [client, server];
}
