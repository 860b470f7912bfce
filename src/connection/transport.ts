/**
 * The byte pipe under a connection (a TCP or TLS socket in Node, an in-memory pipe in tests). The
 * connection drives it; it reports what happened through one handler.
 */
export interface Transport {
  setHandler(handler: TransportHandler): void;
  /** Write the buffers in order as one batch (corked, writev). false = over the high-water mark. */
  write(chunks: Buffer[]): boolean;
  /** Bytes accepted but not yet handed to the OS. */
  readonly writableLength: number;
  /**
   * Bytes handed to the OS so far (monotonic): the write side's progress, which tells a peer that
   * reads slowly from one that reads nothing. Optional: without it the connection counts drains.
   */
  readonly flushedBytes?: number;
  /** Bytes received since the transport was made, and bytes handed to it to send (for metrics). */
  readonly bytesReceived?: number;
  readonly bytesSent?: number;
  /** Inbound flow control: stop delivering `onData` until `resume()`. */
  pause(): void;
  resume(): void;
  /** Send FIN after pending writes. */
  end(): void;
  /** Close now, dropping pending writes. */
  destroy(): void;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

export interface TransportHandler {
  onData(chunk: Buffer): void;
  /** The write side went back under the high-water mark after a `write()` returned false. */
  onDrain(): void;
  /** The peer sent FIN. */
  onEnd(): void;
  /** The transport is closed both ways; `error` when it died of one. Called once. */
  onClose(error?: Error): void;
}
