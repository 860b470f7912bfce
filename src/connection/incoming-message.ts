import type { MessageType } from '../protocol/types.js';
import type { Message, MessageStream } from './message.js';

/** A whole message as read() gives it: text decoded, binary as the payload bytes. */
export function toMessage(type: MessageType, data: Buffer): Message {
  return type === 'text' ? { type, data: data.toString('utf8') } : { type, data };
}

/** A message that arrived whole, as readStream() gives it: a stream of its one chunk. */
export function singleChunkStream(message: Message): MessageStream {
  const bytes = typeof message.data === 'string' ? Buffer.from(message.data, 'utf8') : message.data;
  return {
    type: message.type,
    readable: new ReadableStream<Uint8Array>({
      start(controller) {
        if (bytes.length > 0) controller.enqueue(bytes);
        controller.close();
      },
    }),
  };
}
