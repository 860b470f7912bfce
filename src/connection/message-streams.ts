import { ConnectionClosedError } from '../errors.js';
import type { CloseInfo, Message, MessageData } from './message.js';

const NORMAL_CLOSURE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005]);

/** True for the error a read gets after a normal closure (1000, 1001 or a Close without code). */
export function isNormalClosure(error: unknown): boolean {
  return error instanceof ConnectionClosedError && NORMAL_CLOSURE_CODES.has(error.closeCode);
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

/** Messages until a normal closure ends the iteration; any other closure throws ConnectionClosedError. */
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
 * WebSocketStream-shaped views: a readable of messages (closed on a normal closure, errored
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
