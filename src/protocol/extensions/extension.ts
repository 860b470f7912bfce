/**
 * The contract between the protocol core and a negotiated per-message extension that uses RSV1
 * (RFC 7692 permessage-deflate). The core decides when to call it; the extension only transforms bytes.
 */
export interface PerMessageExtension {
  /** The extension token as negotiated, e.g. `permessage-deflate`. */
  readonly name: string;
  readonly threshold?: number; // bytes: smaller messages go out uncompressed by default (connection: 1024)
  /**
   * Inflate one chunk of a compressed message; `end` on the message's last chunk (the extension adds
   * what RFC 7692 section 7.2.2 strips). Throws CorruptDataError (1002) when the payload cannot be
   * decoded, which the core turns into 1007 for a text message, MessageTooBigError (1009) when the
   * output would pass `limit` (bytes still allowed for this message), and any other ProtocolError
   * with the close code it carries; anything else becomes 1011.
   */
  decompress(chunk: Buffer, end: boolean, limit: number): Buffer;
  /** Deflate one whole message (end = true) or one fragment of a streamed message. */
  compress(data: Buffer, end: boolean): Buffer;
  /**
   * Optional: deflate one whole message into memory the extension reuses. The result stays valid only
   * until the extension (of any connection) runs again, so the caller copies it before anything else
   * happens; the core does so when it frames the message.
   */
  compressTransient?(data: Buffer): Buffer;
  /** Release native resources (zlib streams). */
  dispose(): void;
}
