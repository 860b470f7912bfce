import { serializeFrame } from '../protocol/frame-serializer.js';
import { Opcode } from '../protocol/opcodes.js';
import type { MessageType } from '../protocol/types.js';
import type { MessageData } from './message.js';
import { checkTextBytes, messageBytes } from './message-bytes.js';

export interface PrepareOptions {
  /** Send as a binary message. Default: false for a string, true for bytes. */
  readonly binary?: boolean;
  /**
   * Compress on connections that negotiated permessage-deflate. Default: when the message is at or
   * over the extension's threshold. A compressed send is framed per connection (its deflate context
   * is its own), so the shared frames only serve connections that send this message uncompressed.
   */
  readonly compress?: boolean;
}

/**
 * A message framed once for many server connections: `frames` are the unmasked frame bytes (RFC 6455
 * 5.1: a server MUST NOT mask), pushed as the same Buffer objects into every connection that can send
 * them as they are (`Connection.sendPrepared`, `broadcast`). Connections that cannot (client role,
 * compressed for this message, `fragmentSize` smaller than the payload) frame `data` themselves.
 *
 * Payloads over 2 KiB are referenced, not copied: do not change `data` until every send is written.
 */
export class PreparedMessage {
  readonly type: MessageType;
  /** The payload. */
  readonly data: Buffer;
  readonly compress: boolean | undefined;
  /** One FIN frame: a header sharing a Buffer with a small payload, or a header and the payload. */
  readonly frames: readonly Buffer[];
  /** Total bytes of `frames`. */
  readonly byteLength: number;

  constructor(type: MessageType, data: Buffer, compress?: boolean) {
    const frames: Buffer[] = [];
    this.byteLength = serializeFrame(
      type === 'text' ? Opcode.text : Opcode.binary,
      true,
      false,
      data,
      null,
      frames,
    );
    this.type = type;
    this.data = data;
    this.compress = compress;
    this.frames = frames;
  }
}

/** Frame `data` once, for sending to many connections (see PreparedMessage). */
export function prepareMessage(data: MessageData, options?: PrepareOptions): PreparedMessage {
  const binary = options?.binary ?? typeof data !== 'string';
  const bytes = messageBytes(data);
  if (!binary) checkTextBytes(data, bytes);
  return new PreparedMessage(binary ? 'binary' : 'text', bytes, options?.compress);
}
