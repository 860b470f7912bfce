import {
  ConnectionClosedError,
  CorruptDataError,
  MessageTooBigError,
  ProtocolError,
  WebSocketError,
} from '../errors.js';
import {
  buildClosePayload,
  CLOSE_ABNORMAL,
  CLOSE_NO_STATUS,
  isValidCloseCode,
  parseClosePayload,
} from './close-payload.js';
import type { PerMessageExtension } from './extensions/extension.js';
import { FrameParser, type FrameParserHandler } from './frame-parser.js';
import { FrameWriter } from './frame-writer.js';
import { applyMask } from './mask.js';
import { Opcode } from './opcodes.js';
import { type ProtocolLimits, protocolLimits } from './protocol-limits.js';
import type { ProtocolHandler, ProtocolOptions } from './protocol-options.js';
import type { MessageType, ProtocolState } from './types.js';
import { Utf8Validator } from './utf8-validator.js';

export type { ProtocolHandler, ProtocolOptions } from './protocol-options.js';
export { compressedFrameBound, DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD } from './protocol-options.js';
export type { MessageType, ProtocolState, Role } from './types.js';

/** No message in progress (the value of the message opcode fields between messages). */
const NONE = 0;

/**
 * The sans-I/O RFC 6455 core: bytes in through `receive()`, events out through the handler, frames
 * out into caller arrays. No sockets, timers or promises: the I/O layer owns those.
 */
export class Protocol implements FrameParserHandler {
  readonly #handler: ProtocolHandler;
  readonly #parser: FrameParser;
  /** Limits and framing choices, shared by every core built with the same values. */
  readonly #limits: ProtocolLimits;
  readonly #isServer: boolean;
  readonly #extension: PerMessageExtension | null;
  /** Our frames: masks, fragmentSize, compression, the fragmented message being sent; made by the first frame we send. */
  #frameWriter: FrameWriter | null = null;

  #closeSent = false;
  #closeReceived = false;
  #failed = false;
  /** The code reported to ConnectionClosedError once closing: received, else sent, else 1006. */
  #closeCode = CLOSE_ABNORMAL;
  #closeReason = '';

  // The incoming message.
  #messageOpcode: number = NONE;
  #messageCompressed = false;
  /** Bytes of the message so far: declared frame lengths, or inflated bytes when compressed. */
  #messageLength = 0;
  #fragments = 0;
  /** Created by the first text message. */
  #utf8: Utf8Validator | null = null;

  constructor(handler: ProtocolHandler, options: ProtocolOptions) {
    if (options.role !== 'client' && options.role !== 'server') {
      throw new WebSocketError('ERR_INVALID_ARGUMENT', `role must be 'client' or 'server'`);
    }
    this.#handler = handler;
    const limits = protocolLimits(options, applyMask);
    this.#limits = limits;
    this.#isServer = limits.isServer;
    this.#extension = options.extension ?? null;
    this.#parser = new FrameParser(this, limits.applyMask);
  }

  /** The frame writer, made on first use: a connection that never sends holds none. */
  get #writer(): FrameWriter {
    if (this.#frameWriter === null) {
      const limits = this.#limits;
      this.#frameWriter = new FrameWriter(
        limits.isServer,
        limits.fragmentSize,
        this.#extension,
        limits.maskSource,
        limits.applyMask,
      );
    }
    return this.#frameWriter;
  }

  get state(): ProtocolState {
    if (this.#failed || (this.#closeSent && this.#closeReceived)) return 'closed';
    if (this.#closeSent || this.#closeReceived) return 'closing';
    return 'open';
  }

  get closeSent(): boolean {
    return this.#closeSent;
  }

  get closeReceived(): boolean {
    return this.#closeReceived;
  }

  /**
   * Feed bytes from the peer. Never throws for anything a peer sends; faults arrive as `onFail`.
   * Not re-entrant: do not call it from inside a handler callback. Payload views handed to the
   * handler point into `chunk` (unmasked in place), so the caller must not reuse `chunk`'s memory.
   */
  receive(chunk: Buffer): void {
    this.#parser.parse(chunk);
  }

  // ---- FrameParserHandler: incoming frames ---------------------------------------------------

  /** @internal Validates a header before any payload byte is accepted (RFC 6455 section 5). */
  onFrameHeader(parser: FrameParser): void {
    const opcode = parser.opcode;
    // Section 5.2: RSV2/RSV3 MUST be 0 unless an extension defines them (none we support does).
    if (parser.rsv2 || parser.rsv3) {
      this.#fail('reserved bit RSV2 or RSV3 set', 1002);
      return;
    }
    // Section 5.1: a server MUST close on an unmasked frame; a client MUST close on a masked one.
    if (parser.masked !== this.#isServer) {
      this.#fail(this.#isServer ? 'unmasked frame from a client' : 'masked frame from a server', 1002);
      return;
    }
    if ((opcode & 0x8) !== 0) {
      // Section 5.2: reserved control opcodes 0xB-0xF fail the connection.
      if (opcode > Opcode.pong) {
        this.#fail(`reserved opcode 0x${opcode.toString(16)}`, 1002);
        return;
      }
      // RFC 7692 section 6.1: RSV1 means "compressed" and only on a data message's first frame.
      if (parser.rsv1) {
        this.#fail('RSV1 set on a control frame', 1002);
        return;
      }
      // Section 5.5: control frames MUST NOT be fragmented and carry at most 125 bytes.
      if (!parser.fin) {
        this.#fail('fragmented control frame', 1002);
        return;
      }
      if (parser.payloadLength > 125) {
        this.#fail('control frame payload over 125 bytes', 1002);
        return;
      }
      return;
    }
    if (opcode === Opcode.continuation) {
      // Section 5.4: a continuation frame only continues a fragmented message.
      if (this.#messageOpcode === NONE) {
        this.#fail('continuation frame without a message', 1002);
        return;
      }
      // RFC 7692 section 6.1: RSV1 is set on the first frame of a message only.
      if (parser.rsv1) {
        this.#fail('RSV1 set on a continuation frame', 1002);
        return;
      }
    } else {
      if (opcode > Opcode.binary) {
        this.#fail(`reserved opcode 0x${opcode.toString(16)}`, 1002);
        return;
      }
      // Section 5.4: fragments of one message MUST NOT be interleaved with another data message.
      if (this.#messageOpcode !== NONE) {
        this.#fail('new data message inside a fragmented one', 1002);
        return;
      }
      // Section 5.2: RSV1 MUST be 0 unless a negotiated extension defines it.
      if (parser.rsv1 && this.#extension === null) {
        this.#fail('RSV1 set without an extension', 1002);
        return;
      }
      this.#messageOpcode = opcode;
      this.#utf8?.reset();
      this.#messageCompressed = parser.rsv1;
      this.#messageLength = 0;
      this.#fragments = 0;
    }
    // Section 10.4: limits are decided from the header, before a byte of payload is buffered.
    // Too many fragments (an opt-in limit) is 1009, not 1008: like maxPayload it bounds what one
    // message may cost us, and 1009 tells the peer what to change; 1008 is generic.
    if (++this.#fragments > this.#limits.maxFragments) {
      this.#failWith(
        new MessageTooBigError(
          `message has more than ${this.#limits.maxFragments} fragments`,
          this.#limits.maxFragments,
        ),
      );
      return;
    }
    if (this.#messageCompressed) {
      // What counts against maxPayload is the inflated size (onFramePayload); the wire frame may be
      // as big as deflate can make a maxFrameSize of content.
      if (parser.payloadLength > this.#limits.maxCompressedFrameSize) {
        const limit = this.#limits.maxCompressedFrameSize;
        this.#failWith(new MessageTooBigError(`compressed frame exceeds ${limit} bytes`, limit));
        return;
      }
    } else if (parser.payloadLength > this.#limits.maxFrameSize) {
      this.#failWith(
        new MessageTooBigError(`frame exceeds ${this.#limits.maxFrameSize} bytes`, this.#limits.maxFrameSize),
      );
      return;
    }
    if (!this.#messageCompressed) {
      const length = this.#messageLength + parser.payloadLength;
      if (length > this.#limits.maxPayload) {
        this.#failWith(
          new MessageTooBigError(`message exceeds ${this.#limits.maxPayload} bytes`, this.#limits.maxPayload),
        );
        return;
      }
      this.#messageLength = length;
    }
    // Binary, uncompressed: nothing here reads the payload, so the handler may unmask it as it copies.
    parser.leaveMasked =
      this.#limits.leaveBinaryMasked && this.#messageOpcode === Opcode.binary && !this.#messageCompressed;
    if (opcode !== Opcode.continuation) {
      this.#handler.onMessageStart(opcode === Opcode.text ? 'text' : 'binary');
    }
  }

  /** @internal */
  onFramePayload(payload: Buffer, frameEnd: boolean): void {
    const parser = this.#parser;
    const opcode = parser.opcode;
    if ((opcode & 0x8) !== 0) {
      if (opcode === Opcode.ping) this.#handler.onPing(payload);
      else if (opcode === Opcode.pong) this.#handler.onPong(payload);
      else this.#receiveClose(payload);
      return;
    }
    const end = frameEnd && parser.fin;
    if (this.#messageCompressed) {
      if (payload.length === 0 && !end) return;
      const limit = this.#limits.maxPayload - this.#messageLength;
      try {
        payload = this.#extension!.decompress(payload, end, limit);
      } catch (error) {
        let failure: ProtocolError;
        if (error instanceof MessageTooBigError) {
          // The extension counts the bytes still allowed; the peer is told the message's limit.
          failure = new MessageTooBigError(
            `message exceeds ${this.#limits.maxPayload} bytes`,
            this.#limits.maxPayload,
          );
        } else if (!(error instanceof ProtocolError)) {
          failure = new ProtocolError('decompression failed', 1011, 'ERR_EXTENSION', { cause: error });
        } else if (error instanceof CorruptDataError && this.#messageOpcode === Opcode.text) {
          // RFC 7692 leaves the code open. A text message whose payload cannot be decoded holds data
          // not consistent with its type: 1007 (RFC 6455 7.4.1). A binary message stays at 1002.
          failure = new CorruptDataError(error.message, 1007, { cause: error.cause });
        } else {
          failure = error;
        }
        this.#failWith(failure);
        return;
      }
      this.#messageLength += payload.length;
      if (this.#messageLength > this.#limits.maxPayload) {
        this.#failWith(
          new MessageTooBigError(`message exceeds ${this.#limits.maxPayload} bytes`, this.#limits.maxPayload),
        );
        return;
      }
    }
    if (this.#messageOpcode === Opcode.text) {
      // Section 8.1: fail with 1007 as soon as the text stops being UTF-8, not at the message's end.
      const utf8 = (this.#utf8 ??= new Utf8Validator());
      if (!utf8.write(payload) || (end && !utf8.end())) {
        utf8.reset();
        this.#fail('text message is not valid UTF-8', 1007);
        return;
      }
    }
    if (end) this.#messageOpcode = NONE;
    if (end || payload.length > 0) {
      const frameLeft = frameEnd || this.#messageCompressed ? 0 : parser.payloadLeft;
      this.#handler.onMessageData(payload, end, frameLeft, parser.payloadKey);
    }
  }

  /** @internal */
  onFrameError(error: ProtocolError): void {
    this.#failWith(error);
  }

  #receiveClose(payload: Buffer): void {
    let code: number;
    let reason: string;
    try {
      // Section 5.5.1 and 7.4: a 1-byte body or a code not allowed on the wire fails with 1002,
      // a reason that is not UTF-8 with 1007.
      ({ code, reason } = parseClosePayload(payload));
    } catch (error) {
      this.#failWith(error as ProtocolError);
      return;
    }
    this.#closeReceived = true;
    // Section 5.5.1: after the Close, the peer sends nothing more; ignore whatever follows.
    this.#parser.stop();
    if (!this.#closeSent) {
      this.#closeCode = code;
      this.#closeReason = reason;
      // Section 5.5.1: an endpoint that receives a Close and has not sent one MUST send one in
      // response, echoing the status code (section 7.4.1: 1005 is never sent, so an empty body).
      this.#closeSent = true;
      this.#emit(Opcode.close, buildClosePayload(code === CLOSE_NO_STATUS ? undefined : code));
    }
    this.#handler.onCloseFrame(code, reason);
  }

  #fail(message: string, closeCode: number): void {
    this.#failWith(new ProtocolError(message, closeCode));
  }

  /** Section 7.1.7, Fail the WebSocket Connection: send a Close with the code unless one was sent. */
  #failWith(error: ProtocolError): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#parser.stop();
    this.#messageOpcode = NONE;
    if (!this.#closeSent) {
      this.#closeSent = true;
      // Section 7.4.1: 1005, 1006 and 1015 MUST NOT be sent; an extension's odd code becomes 1002.
      const code = isValidCloseCode(error.closeCode) ? error.closeCode : 1002;
      this.#closeCode = code;
      this.#emit(Opcode.close, buildClosePayload(code));
    }
    this.#handler.onFail(error);
  }

  /** Frame a control frame the core sends on its own and hand it to onOutput. */
  #emit(opcode: number, payload: Uint8Array): void {
    // Rare (a close echo, a failure): a fresh array rather than one kept by every connection.
    const output: Buffer[] = [];
    this.#writer.control(opcode, payload, output);
    for (let i = 0; i < output.length; i++) this.#handler.onOutput(output[i]!);
  }

  // ---- Outgoing frames (FrameWriter, once the close state allows them) -------------------------

  /** Section 5.5.1: after sending a Close, an endpoint MUST NOT send any more data frames. */
  #checkCanSendData(): void {
    if (this.#closeSent) {
      throw new ConnectionClosedError('a close frame was already sent', this.#closeCode, this.#closeReason);
    }
  }

  /**
   * Frame a whole message into `out` (split at `fragmentSize` if set); returns the bytes appended.
   * `compress` deflates it when an extension was negotiated (ignored otherwise). Unmasked payloads
   * over 2 KiB are referenced, not copied: do not change `data` until it was written.
   */
  frameMessage(type: MessageType, data: Buffer, out: Buffer[], compress = false): number {
    this.#checkCanSendData();
    return this.#writer.message(type, data, out, compress);
  }

  /**
   * Frame one fragment of a streamed message. The first call picks the type and whether the message
   * is compressed; later calls must pass the same type; `fin` ends the message.
   */
  frameFragment(type: MessageType, chunk: Buffer, fin: boolean, out: Buffer[], compress = false): number {
    this.#checkCanSendData();
    return this.#writer.fragment(type, chunk, fin, out, compress);
  }

  /** Frame a Ping (section 5.5.2; at most 125 bytes). Allowed until the close handshake completes. */
  framePing(payload: Buffer, out: Buffer[]): number {
    return this.#frameControl(Opcode.ping, payload, out);
  }

  /** Frame a Pong (section 5.5.3; at most 125 bytes). Allowed until the close handshake completes. */
  framePong(payload: Buffer, out: Buffer[]): number {
    return this.#frameControl(Opcode.pong, payload, out);
  }

  #frameControl(opcode: number, payload: Buffer, out: Buffer[]): number {
    if (this.state === 'closed') {
      throw new ConnectionClosedError('the connection is closed', this.#closeCode, this.#closeReason);
    }
    return this.#writer.control(opcode, payload, out);
  }

  /**
   * Frame our Close (section 5.5.1). `code` undefined sends an empty body. Throws
   * WebSocketError(ERR_INVALID_ARGUMENT) for a code that may not be sent (1005, 1006, 1015, ...) or a
   * reason over 123 bytes, and ConnectionClosedError when a Close was already sent (or echoed).
   */
  frameClose(code: number | undefined, reason: string, out: Buffer[]): number {
    this.#checkCanSendData();
    const payload = buildClosePayload(code, reason);
    this.#closeSent = true;
    this.#closeCode = code ?? CLOSE_NO_STATUS;
    this.#closeReason = reason;
    return this.#writer.control(Opcode.close, payload, out);
  }
}
