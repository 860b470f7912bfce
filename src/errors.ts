/**
 * One error hierarchy for fullduplex. Callers branch on the class or on `code`, never on message text.
 * The table of codes lives in docs/errors.md.
 */

export type WebSocketErrorCode =
  | 'ERR_PROTOCOL'
  | 'ERR_INVALID_UTF8'
  | 'ERR_MESSAGE_TOO_BIG'
  | 'ERR_HANDSHAKE'
  | 'ERR_CLOSED'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_DECODE'
  | 'ERR_VALIDATION'
  | 'ERR_TIMEOUT'
  | 'ERR_ABORTED'
  | 'ERR_EXTENSION'
  | 'ERR_POLICY'
  | 'ERR_OVERLOADED'
  | 'ERR_BROKER_UNAVAILABLE';

export class WebSocketError extends Error {
  readonly code: WebSocketErrorCode;

  constructor(code: WebSocketErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A peer broke RFC 6455/7692. `closeCode` is what the connection is failed with (1002, 1007, 1009, ...). */
export class ProtocolError extends WebSocketError {
  readonly closeCode: number;

  constructor(
    message: string,
    closeCode = 1002,
    code: WebSocketErrorCode = closeCode === 1007
      ? 'ERR_INVALID_UTF8'
      : closeCode === 1009
        ? 'ERR_MESSAGE_TOO_BIG'
        : 'ERR_PROTOCOL',
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.closeCode = closeCode;
  }
}

/** A message or frame larger than a configured limit (close code 1009). */
export class MessageTooBigError extends ProtocolError {
  readonly limit: number;

  constructor(message: string, limit: number) {
    super(message, 1009, 'ERR_MESSAGE_TOO_BIG');
    this.limit = limit;
  }
}

/**
 * A negotiated extension could not decode a message's payload (corrupt permessage-deflate data).
 * Extensions throw it with 1002; the protocol core raises it again with 1007 when the message is text
 * (data not consistent with the message's type) and leaves a binary one at 1002. The code stays
 * `ERR_PROTOCOL`: undecodable compressed bytes are not the finding `ERR_INVALID_UTF8` reports (the
 * decoded text was never seen); callers tell this case apart by the class.
 */
export class CorruptDataError extends ProtocolError {
  constructor(message: string, closeCode: 1002 | 1007 = 1002, options?: { cause?: unknown }) {
    super(message, closeCode, 'ERR_PROTOCOL', options);
  }
}

/**
 * The opening handshake failed. On the server, `status` is the HTTP status to answer with;
 * on the client, it is the status the server answered with (0 when none was received).
 */
export class HandshakeError extends WebSocketError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    message: string,
    status = 400,
    headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super('ERR_HANDSHAKE', message, options);
    this.status = status;
    this.headers = headers;
  }
}

/** An operation on a connection that is closing or closed. */
export class ConnectionClosedError extends WebSocketError {
  readonly closeCode: number;
  readonly reason: string;
  /**
   * The connection ended cleanly: the peer's Close arrived (whatever its code) and we had not failed
   * the connection. False after a drop (1006), a timeout or a failure on our side (1002, 1011...).
   */
  readonly wasClean: boolean;

  constructor(
    message: string,
    closeCode = 1006,
    reason = '',
    options?: { cause?: unknown; wasClean?: boolean },
  ) {
    super('ERR_CLOSED', message, options);
    this.closeCode = closeCode;
    this.reason = reason;
    this.wasClean = options?.wasClean ?? false;
  }
}

/** A deadline passed: handshake, close handshake, pong, idle. */
export class TimeoutError extends WebSocketError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TIMEOUT', message, options);
  }
}

/**
 * A hub's broker cannot reach its backend (Redis down, link lost): the publish, history read or
 * subscribe was not done. Retry after the broker reports `up` again.
 */
export class BrokerUnavailableError extends WebSocketError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BROKER_UNAVAILABLE', message, options);
  }
}
