/** The frame type a codec encodes to (the same union as the protocol's MessageType). */
export type CodecMessageType = 'text' | 'binary';

/**
 * Turns application values into message payloads and back. `encode` returns a string (sent as text
 * unless `type` is 'binary') or bytes; `decode` gets what a read produced: a string for a text
 * message, a Buffer for a binary one. Decoding errors throw WebSocketError(ERR_DECODE; ERR_VALIDATION when a validator refuses)
 * with the cause attached. Implement this interface to add a codec (MessagePack, protobuf, ...).
 */
export interface Codec<T> {
  readonly type: CodecMessageType;
  encode(value: T): string | Uint8Array;
  decode(data: string | Uint8Array): T;
}
