// WebSocket: the WHATWG WebSocket interface (https://websockets.spec.whatwg.org/) for Node, over
// fullduplex's own client (connect()) and Connection. Code written for the browser's WebSocket runs on
// it unchanged; what differs, and the Node-only options, are in docs/websocket-class.md.
import type { Connection } from '../../connection/connection.js';
import type { CloseInfo } from '../../connection/message.js';
import { HandshakeError, WebSocketError } from '../../errors.js';
import { connect } from '../connect.js';
import { CloseEvent } from './close-event.js';
import { type CloseOutcome, closeOutcome } from './close-outcome.js';
import { EventHandlers, type EventHandlerValue } from './event-handlers.js';
import { IncomingMessages, messageEventData, type ReceivedMessage } from './incoming-messages.js';
import { shapeInterface } from './interface-shape.js';
import { type OutgoingHost, OutgoingMessages } from './outgoing-messages.js';
import { queueTask, type TaskTarget } from './task-source.js';
import {
  domException,
  subprotocolList,
  toClampedUnsignedShort,
  toDOMString,
  toUSVString,
  webSocketUrlRecord,
} from './web-idl.js';
import {
  type BinaryType,
  connectOptionsFor,
  DEFAULT_MAX_BUFFERED_AMOUNT,
  DEFAULT_MAX_QUEUED_BYTES,
  type WebSocketOptions,
} from './web-socket-options.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

type TaskKind = 'open' | 'message' | 'closing' | 'closed' | 'close-event';

// Set by WebSocket's static block: the ports below reach its private methods without closures.
let runTaskOf: (socket: WebSocket, kind: TaskKind, payload: unknown) => void;
let failOf: (socket: WebSocket, error: Error) => void;

/**
 * A WebSocket client with the browser's interface. Events are dispatched as tasks (setImmediate), in
 * the standard's order: `open`, then `message`s, then on failure `error`, and last `close`.
 */
export class WebSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  readonly #url: string;
  readonly #origin: string;
  readonly #protocols: readonly string[];
  #readyState = CONNECTING;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = 'blob';
  #connection: Connection | null = null;
  #abort: AbortController | null = new AbortController();
  /** close() was called before the open event, or the send buffer overflowed, or a Blob failed. */
  #failure: { error: Error } | null = null;
  readonly #outgoing: OutgoingMessages;
  readonly #handlers = new EventHandlers(this);
  readonly #ports: WebSocketPorts;
  readonly #incoming: IncomingMessages;

  /**
   * Starts connecting to `url` at once (events tell the outcome). Throws a SyntaxError DOMException
   * for a URL that does not parse (relative URLs included: Node has no base URL), a scheme other than
   * ws, wss, http or https, a fragment, or subprotocols that are not tokens or repeat.
   */
  constructor(url: string | URL, protocols?: string | Iterable<string>, options: WebSocketOptions = {}) {
    super();
    // biome-ignore lint/complexity/noArguments: Web IDL tells a missing argument from undefined.
    if (arguments.length === 0) {
      throw new TypeError("Failed to construct 'WebSocket': 1 argument required, but only 0 present.");
    }
    const record = webSocketUrlRecord(toUSVString(url));
    this.#protocols = subprotocolList(protocols);
    this.#url = record.href;
    this.#origin = record.origin;
    this.#incoming = new IncomingMessages(options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES);
    this.#ports = new WebSocketPorts(this);
    const maxBufferedAmount = options.maxBufferedAmount ?? DEFAULT_MAX_BUFFERED_AMOUNT;
    this.#outgoing = new OutgoingMessages(this.#ports, maxBufferedAmount);
    const abort = this.#abort as AbortController;
    connect(record.href, connectOptionsFor(options, this.#protocols, abort.signal)).then(
      (connection) => this.#connected(connection),
      (error: unknown) => this.#connectFailed(error),
    );
  }

  /** The URL, serialized (http: and https: already mapped to ws: and wss:). */
  get url(): string {
    return this.#url;
  }

  get readyState(): number {
    return this.#readyState;
  }

  /** Application bytes sent but not yet handed to the network, as of the start of this task. */
  get bufferedAmount(): number {
    return this.#outgoing.bufferedAmount;
  }

  /** The server's Sec-WebSocket-Extensions value once open, '' before. */
  get extensions(): string {
    return this.#extensions;
  }

  /** The subprotocol the server chose once open, '' before or for none. */
  get protocol(): string {
    return this.#protocol;
  }

  /** How binary messages arrive: 'blob' (default) or 'arraybuffer'; other values are ignored. */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: string) {
    const type = toDOMString(value);
    if (type === 'blob' || type === 'arraybuffer') this.#binaryType = type;
  }

  get onopen(): EventHandlerValue {
    return this.#handlers.get('open');
  }
  set onopen(value: unknown) {
    this.#handlers.set('open', value);
  }
  get onmessage(): EventHandlerValue {
    return this.#handlers.get('message');
  }
  set onmessage(value: unknown) {
    this.#handlers.set('message', value);
  }
  get onerror(): EventHandlerValue {
    return this.#handlers.get('error');
  }
  set onerror(value: unknown) {
    this.#handlers.set('error', value);
  }
  get onclose(): EventHandlerValue {
    return this.#handlers.get('close');
  }
  set onclose(value: unknown) {
    this.#handlers.set('close', value);
  }

  /**
   * Sends a string (as UTF-8 text), an ArrayBuffer, a view of one, or a Blob (binary). Throws an
   * InvalidStateError DOMException while CONNECTING. Once closing, the data is not sent but still
   * added to bufferedAmount, as the standard says.
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    // biome-ignore lint/complexity/noArguments: Web IDL tells a missing argument from undefined.
    if (arguments.length === 0) {
      throw new TypeError(
        "Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present.",
      );
    }
    let bytes: Buffer | null = null;
    let blob: Blob | null = null;
    let text = '';
    if (data instanceof ArrayBuffer) bytes = Buffer.from(data);
    else if (ArrayBuffer.isView(data)) bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    else if (data instanceof Blob) blob = data;
    else text = toUSVString(data);
    if (this.#readyState === CONNECTING) {
      throw domException(
        'InvalidStateError',
        "Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.",
      );
    }
    const size = bytes !== null ? bytes.length : blob !== null ? blob.size : Buffer.byteLength(text, 'utf8');
    if (this.#readyState !== OPEN) {
      this.#outgoing.countAfterClose(size);
      return;
    }
    if (blob !== null) this.#outgoing.sendBlob(blob);
    else if (bytes !== null) this.#outgoing.send(bytes, true, size);
    else this.#outgoing.send(text, false, size);
  }

  /**
   * Starts the closing handshake with `code` (1000 or 3000-4999, else InvalidAccessError) and
   * `reason` (at most 123 UTF-8 bytes, else SyntaxError). Before the connection is open it fails the
   * connection instead; once closing it does nothing.
   */
  close(code?: number, reason?: string): void {
    let closeCode: number | undefined;
    if (code !== undefined) {
      closeCode = toClampedUnsignedShort(code);
      if (closeCode !== 1000 && (closeCode < 3000 || closeCode > 4999)) {
        throw domException(
          'InvalidAccessError',
          `Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${closeCode} is neither.`,
        );
      }
    }
    let closeReason = '';
    if (reason !== undefined) {
      closeReason = toUSVString(reason);
      const length = Buffer.byteLength(closeReason, 'utf8');
      if (length > 123) {
        throw domException(
          'SyntaxError',
          `Failed to execute 'close' on 'WebSocket': The close reason must not be greater than 123 UTF-8 bytes.`,
        );
      }
    }
    if (this.#readyState === CLOSING || this.#readyState === CLOSED) return;
    if (this.#readyState === CONNECTING) {
      this.#fail(new WebSocketError('ERR_ABORTED', 'WebSocket closed before the connection was established'));
      this.#readyState = CLOSING;
      return;
    }
    this.#readyState = CLOSING;
    // Without a code: no status code in the Close frame, as browsers do; with only a reason, 1000
    // (docs/websocket-class.md).
    this.#outgoing.close(closeCode ?? (reason === undefined ? null : 1000), closeReason);
  }

  // ---------------------------------------------------------------- from the connection

  #connected(connection: Connection): void {
    this.#abort = null;
    if (this.#failure !== null) {
      // close() came first (or the limit was passed): this connection is not wanted.
      connection.terminate();
      this.#queueClosed(null);
      return;
    }
    // WHATWG WebSockets, "establish a WebSocket connection": subprotocols were offered and the server
    // chose none, so fail the connection (RFC 6455 alone would allow it).
    if (this.#protocols.length > 0 && connection.protocol === '') {
      connection.terminate();
      const offered = this.#protocols.join(', ');
      this.#failure = {
        error: new HandshakeError(`the server chose none of the subprotocols offered (${offered})`, 101),
      };
      this.#queueClosed(null);
      return;
    }
    this.#connection = connection;
    this.#outgoing.attach(connection);
    this.#incoming.attach(connection);
    queueTask(this.#ports, 'open', connection);
    connection.onRawMessage((data, type) =>
      queueTask(this.#ports, 'message', this.#incoming.received(data, type)),
    );
    // With a listener taking every message, a pending read() only settles, by rejecting, once the
    // peer's Close has arrived (or the connection failed): the closing handshake has started.
    connection.read().then(
      () => {},
      () => queueTask(this.#ports, 'closing'),
    );
    connection.closed.then((info) => this.#queueClosed(info));
  }

  #connectFailed(error: unknown): void {
    this.#abort = null;
    if (this.#failure === null) {
      this.#failure = { error: error instanceof Error ? error : new HandshakeError(String(error), 0) };
    }
    this.#queueClosed(null);
  }

  /** Fail the WebSocket connection (RFC 6455 7.1.7): the close event will follow an error event. */
  #fail(error: Error): void {
    if (this.#failure === null) this.#failure = { error };
    this.#outgoing.discard();
    const abort = this.#abort;
    if (abort !== null) abort.abort(error);
    else this.#connection?.terminate();
  }

  #queueClosed(info: CloseInfo | null): void {
    queueTask(this.#ports, 'closed', closeOutcome(info, this.#failure));
  }

  // ---------------------------------------------------------------- tasks

  #runTask(kind: TaskKind, payload: unknown): void {
    switch (kind) {
      case 'open': {
        if (this.#readyState !== CONNECTING) return;
        const connection = payload as Connection;
        this.#readyState = OPEN;
        this.#extensions = connection.extensions;
        this.#protocol = connection.protocol;
        this.dispatchEvent(new Event('open'));
        return;
      }
      case 'message': {
        const message = payload as ReceivedMessage;
        this.#incoming.taken(message);
        if (this.#readyState !== OPEN) return;
        this.dispatchEvent(
          new MessageEvent('message', {
            data: messageEventData(message, this.#binaryType),
            origin: this.#origin,
          }),
        );
        return;
      }
      case 'closing':
        if (this.#readyState === OPEN) this.#readyState = CLOSING;
        return;
      case 'closed': {
        const outcome = payload as CloseOutcome;
        this.#readyState = CLOSED;
        if (outcome.failed) {
          const event = new Event('error');
          // Not in browsers: the cause, for Node users (docs/websocket-class.md).
          if (outcome.error !== undefined) Object.defineProperty(event, 'error', { value: outcome.error });
          this.dispatchEvent(event);
          // The close event belongs to the same task; microtasks the error listeners queued run first.
          queueMicrotask(() => this.#runTask('close-event', outcome));
          return;
        }
        this.#runTask('close-event', outcome);
        return;
      }
      case 'close-event': {
        const outcome = payload as CloseOutcome;
        this.dispatchEvent(
          new CloseEvent('close', { wasClean: outcome.wasClean, code: outcome.code, reason: outcome.reason }),
        );
        return;
      }
      default: {
        const never: never = kind;
        throw new Error(`unknown task ${String(never)}`);
      }
    }
  }

  static {
    shapeInterface(WebSocket, {
      members: [
        'url',
        'readyState',
        'bufferedAmount',
        'onopen',
        'onerror',
        'onclose',
        'extensions',
        'protocol',
        'onmessage',
        'binaryType',
        'CONNECTING',
        'OPEN',
        'CLOSING',
        'CLOSED',
        'close',
        'send',
      ],
      constants: { CONNECTING, OPEN, CLOSING, CLOSED },
      length: 1,
      methodLengths: { close: 0 },
      tag: 'WebSocket',
    });
    runTaskOf = (socket, kind, payload) => socket.#runTask(kind, payload);
    failOf = (socket, error) => socket.#fail(error);
  }
}

/** What the task source and the outgoing side call back into: one object per socket, no closures. */
class WebSocketPorts implements TaskTarget<TaskKind>, OutgoingHost {
  readonly #socket: WebSocket;
  constructor(socket: WebSocket) {
    this.#socket = socket;
  }
  runTask(kind: TaskKind, payload: unknown): void {
    runTaskOf(this.#socket, kind, payload);
  }
  outgoingFailed(error: Error): void {
    failOf(this.#socket, error);
  }
}
