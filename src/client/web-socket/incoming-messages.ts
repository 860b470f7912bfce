// Messages received and waiting for their message event (a task each), with a bound: past
// `maxQueuedBytes` of them the connection stops reading, so a script slower than its server makes
// TCP push back instead of growing the queue without end.
import type { Connection } from '../../connection/connection.js';
import type { MessageType } from '../../protocol/types.js';
import type { BinaryType } from './web-socket-options.js';

export interface ReceivedMessage {
  readonly data: Buffer;
  readonly type: MessageType;
}

export class IncomingMessages {
  readonly #maxQueuedBytes: number;
  #connection: Connection | null = null;
  #queuedBytes = 0;
  #readingPaused = false;

  constructor(maxQueuedBytes: number) {
    this.#maxQueuedBytes = maxQueuedBytes;
  }

  attach(connection: Connection): void {
    this.#connection = connection;
  }

  /** A message arrived: count it until its task takes it. */
  received(data: Buffer, type: MessageType): ReceivedMessage {
    this.#queuedBytes += data.length;
    if (!this.#readingPaused && this.#queuedBytes > this.#maxQueuedBytes) {
      this.#readingPaused = true;
      this.#connection?.pause();
    }
    return { data, type };
  }

  /** Its task runs: uncount it (reading resumes under half the bound). */
  taken(message: ReceivedMessage): void {
    this.#queuedBytes -= message.data.length;
    if (this.#readingPaused && this.#queuedBytes <= this.#maxQueuedBytes / 2) {
      this.#readingPaused = false;
      this.#connection?.resume();
    }
  }
}

/** The message event's data (WHATWG WebSockets, "handle a WebSocket message"): new objects each time. */
export function messageEventData(
  message: ReceivedMessage,
  binaryType: BinaryType,
): string | ArrayBuffer | Blob {
  const data = message.data;
  if (message.type === 'text') return data.toString('utf8');
  if (binaryType === 'blob') return new Blob([data]);
  const buffer = new ArrayBuffer(data.length);
  new Uint8Array(buffer).set(data);
  return buffer;
}
