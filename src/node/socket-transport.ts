import type { Socket } from 'node:net';
import type { Transport, TransportHandler } from '../connection/transport.js';

/**
 * The Transport port over a net.Socket or tls.TLSSocket: 'data' buffers go straight to the
 * connection (no stream layer), batches are written corked so they leave in one writev.
 */
export class SocketTransport implements Transport {
  readonly #socket: Socket;
  #handler: TransportHandler | null = null;
  #error: Error | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
    // Small frames go out at once: Nagle's delay would stall request/response traffic.
    socket.setNoDelay(true);
    socket.setTimeout(0);
  }

  setHandler(handler: TransportHandler): void {
    const first = this.#handler === null;
    this.#handler = handler;
    if (!first) return;
    const socket = this.#socket;
    socket.on('data', (chunk: Buffer) => this.#handler?.onData(chunk));
    socket.on('drain', () => this.#handler?.onDrain());
    socket.on('end', () => this.#handler?.onEnd());
    socket.on('error', (error: Error) => {
      // Kept for onClose; 'close' always follows 'error'.
      this.#error ??= error;
    });
    socket.on('close', () => this.#handler?.onClose(this.#error));
    if (socket.destroyed) queueMicrotask(() => this.#handler?.onClose(this.#error));
    else if (socket.isPaused()) socket.resume();
  }

  write(chunks: Buffer[]): boolean {
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return true;
    if (chunks.length === 1) return socket.write(chunks[0] as Buffer);
    socket.cork();
    let ok = true;
    for (const chunk of chunks) ok = socket.write(chunk);
    socket.uncork();
    return ok;
  }

  get writableLength(): number {
    return this.#socket.writableLength;
  }

  get flushedBytes(): number {
    // bytesWritten counts bytes still buffered in the stream; writableLength counts those and the
    // ones in flight: the difference is what the kernel has taken.
    const socket = this.#socket;
    return socket.bytesWritten - socket.writableLength;
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }
}
