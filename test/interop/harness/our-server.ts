// Our WebSocketServer as the interop peers see it: it echoes every message (so a peer checks what it
// got back), records a summary of each message it received, and hands each connection to the test.
import type { Connection } from '../../../src/connection/connection.js';
import type { Message } from '../../../src/connection/message.js';
import type { WebSocketServerOptions } from '../../../src/server/server-options.js';
import { WebSocketServer } from '../../../src/server/web-socket-server.js';
import { sha256 } from './pattern.js';

export interface MessageSummary {
  readonly type: 'text' | 'binary';
  readonly length: number;
  readonly sha256: string;
}

export function summarize(message: Message): MessageSummary {
  const bytes = typeof message.data === 'string' ? Buffer.from(message.data, 'utf8') : message.data;
  return { type: message.type, length: bytes.length, sha256: sha256(bytes) };
}

export interface EchoServer {
  readonly server: WebSocketServer;
  readonly port: number;
  readonly received: MessageSummary[];
  /** The connection of the client a test just opened (the newest one), waiting up to 20 s. */
  nextConnection(): Promise<Connection>;
  close(): Promise<void>;
}

export async function startEchoServer(options: WebSocketServerOptions = {}): Promise<EchoServer> {
  const received: MessageSummary[] = [];
  const arrived: Connection[] = [];
  const waiting: Array<(connection: Connection) => void> = [];
  const server = new WebSocketServer({
    ...options,
    onConnection: (connection) => {
      connection.onMessage((message) => {
        received.push(summarize(message));
        connection.send(message.data);
      });
      const waiter = waiting.shift();
      if (waiter) waiter(connection);
      else arrived.push(connection);
    },
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    server,
    port,
    received,
    nextConnection: () => {
      // Tests run one at a time and open their client first: the newest connection is theirs.
      const ready = arrived.pop();
      arrived.length = 0;
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no connection within 20 s')), 20_000);
        waiting.push((connection) => {
          clearTimeout(timer);
          resolve(connection);
        });
      });
    },
    close: () => server.close({ timeout: 1000 }),
  };
}

/** A masked client frame with reserved opcode 0x3 (RFC 6455 5.2): every server must fail the connection, 1002. */
export const RESERVED_OPCODE_CLIENT_FRAME = '838000000000';
/** The same from a server (unmasked): every client must fail the connection. */
export const RESERVED_OPCODE_SERVER_FRAME = '8300';
