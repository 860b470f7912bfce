import { ConnectionClosedError } from '../errors.js';
import type { CloseInfo, Message, MessageData } from './message.js';

/**
 * True for the error a read gets after a clean end: the peer's Close arrived, whatever its code
 * (1000, 1001, 4000...), and we had not failed the connection. False after a drop without a Close
 * (1006), a timeout, or a failure on our side (protocol error, a listener that threw).
 */
export function isNormalClosure(error: unknown): boolean {
  return error instanceof ConnectionClosedError && error.wasClean;
}

/** The part of a connection the stream and iterator views are built on: its public API only. */
export interface MessageEndpoint {
  read(): Promise<Message>;
  write(data: MessageData): Promise<void>;
  close(): Promise<CloseInfo>;
}

export interface MessageStreams {
  readonly readable: ReadableStream<Message>;
  readonly writable: WritableStream<MessageData>;
}

/** Messages until a clean close ends the iteration; any other end throws ConnectionClosedError. */
export function messageIterator(endpoint: MessageEndpoint): AsyncIterator<Message> {
  return {
    next: () =>
      endpoint.read().then(
        (value): IteratorResult<Message> => ({ done: false, value }),
        (error: unknown): IteratorResult<Message> => {
          if (isNormalClosure(error)) return { done: true, value: undefined };
          throw error;
        },
      ),
  };
}

/**
 * WebSocketStream-shaped views: a readable of messages (closed on a clean close, errored
 * otherwise) and a writable of message data whose close()/abort() closes the connection.
 */
export function messageStreams(endpoint: MessageEndpoint): MessageStreams {
  const readable = new ReadableStream<Message>(
    {
      pull: (controller) =>
        endpoint.read().then(
          (message) => controller.enqueue(message),
          (error: unknown) => {
            if (isNormalClosure(error)) controller.close();
            else controller.error(error);
          },
        ),
    },
    { highWaterMark: 0 },
  );
  const writable = new WritableStream<MessageData>({
    write: (chunk) => endpoint.write(chunk),
    close: () => endpoint.close().then(() => undefined),
    abort: () => endpoint.close().then(() => undefined),
  });
  return { readable, writable };
}
