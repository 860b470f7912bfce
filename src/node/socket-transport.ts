import type { Socket } from 'node:net';
import type { Transport, TransportHandler } from '../connection/transport.js';

/** The transport a socket belongs to, for the listeners shared by every socket. */
const owner = Symbol('fullduplex.transport');
type OwnedSocket = Socket & { [owner]?: SocketTransport };

// One set of listener functions for all sockets (an emitter calls them with `this` = the socket),
// rather than five closures per connection. Set by SocketTransport's static block.
let onSocketData: (this: OwnedSocket, chunk: Buffer) => void;
let onSocketDrain: (this: OwnedSocket) => void;
let onSocketEnd: (this: OwnedSocket) => void;
let onSocketError: (this: OwnedSocket, error: Error) => void;
let onSocketClose: (this: OwnedSocket) => void;

/**
 * The Transport port over a net.Socket or tls.TLSSocket: 'data' buffers go straight to the
 * connection (no stream layer), batches are written corked so they leave in one writev.
 */
export class SocketTransport implements Transport {
  readonly #socket: Socket;
  #handler: TransportHandler | null = null;
  #error: Error | undefined;
  /** The socket's byte counts when it became ours: what the handshake read and wrote is not counted. */
  readonly #readBefore: number;
  readonly #writtenBefore: number;

  constructor(socket: Socket) {
    this.#socket = socket;
    this.#readBefore = socket.bytesRead;
    this.#writtenBefore = socket.bytesWritten;
    // Small frames go out at once: Nagle's delay would stall request/response traffic.
    socket.setNoDelay(true);
    socket.setTimeout(0);
  }

  setHandler(handler: TransportHandler): void {
    const first = this.#handler === null;
    this.#handler = handler;
    if (!first) return;
    const socket = this.#socket as OwnedSocket;
    socket[owner] = this;
    socket.on('data', onSocketData);
    socket.on('drain', onSocketDrain);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
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

  get bytesReceived(): number {
    return this.#socket.bytesRead - this.#readBefore;
  }

  get bytesSent(): number {
    return this.#socket.bytesWritten - this.#writtenBefore;
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

  static {
    // The owner is set before any listener is added, and the handler before the owner.
    onSocketData = function (chunk) {
      (this[owner] as SocketTransport).#handler?.onData(chunk);
    };
    onSocketDrain = function () {
      (this[owner] as SocketTransport).#handler?.onDrain();
    };
    onSocketEnd = function () {
      (this[owner] as SocketTransport).#handler?.onEnd();
    };
    onSocketError = function (error) {
      // Kept for onClose; 'close' always follows 'error'.
      const transport = this[owner] as SocketTransport;
      transport.#error ??= error;
    };
    onSocketClose = function () {
      const transport = this[owner] as SocketTransport;
      transport.#handler?.onClose(transport.#error);
    };
  }
}
