// Corrupt permessage-deflate data over a real socket: a raw TCP client sends compressed frames that
// do not inflate; the server fails the connection with 1007 for text and 1002 for binary, puts the code
// in its Close frame, reports it in `closed`, and closes TCP (RFC 6455 7.1.7). No zlib error escapes.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { CloseInfo, Connection } from '../../src/connection/index.js';
import { ConnectionClosedError } from '../../src/errors.js';
import { drainContextPool } from '../../src/node/zlib-context-pool.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { clientFrame, hex, toHex } from '../helpers/frames.js';
import { openRaw, readHead, readUntilClosed, upgradeRequest } from '../helpers/raw-http.js';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close({ timeout: 100 })));
  drainContextPool();
});

/** A deflate server; resolves its port and the first connection's `closed` and read failure. */
async function start(): Promise<{
  port: number;
  outcome: Promise<{ closed: CloseInfo; readError: unknown }>;
}> {
  let settle: (value: { closed: CloseInfo; readError: unknown }) => void = () => {};
  const outcome = new Promise<{ closed: CloseInfo; readError: unknown }>((resolve) => {
    settle = resolve;
  });
  const server = new WebSocketServer({
    perMessageDeflate: true,
    onConnection: (connection: Connection) => {
      const read = connection.read().then(
        () => undefined,
        (error: unknown) => error,
      );
      void Promise.all([connection.closed, read]).then(([closed, readError]) =>
        settle({ closed, readError }),
      );
    },
  });
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { port, outcome };
}

describe('RFC 7692 over a socket: corrupt compressed data', () => {
  const cases = [
    { type: 'text', opcode: 1, closeCode: 1007, close: '88 02 03 ef' },
    { type: 'binary', opcode: 2, closeCode: 1002, close: '88 02 03 ea' },
  ] as const;

  for (const { type, opcode, closeCode, close } of cases) {
    test(`a corrupt compressed ${type} message closes with ${closeCode}`, async () => {
      const { port, outcome } = await start();
      const socket = await openRaw(port);
      try {
        socket.write(upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
        const { answer, rest } = await readHead(socket);
        assert.equal(answer.status, 101);
        assert.match(answer.headers['sec-websocket-extensions'] ?? '', /^permessage-deflate/);
        // 0xff opens a DEFLATE block of the reserved type 11: it cannot be inflated.
        const closedByServer = readUntilClosed(socket);
        socket.resume();
        socket.write(clientFrame({ opcode, rsv1: true, payload: hex('ff ff ff ff') }));
        const { text } = await closedByServer;
        // Everything after the 101 head: the server's Close frame, unmasked, carrying the code.
        assert.equal(toHex(Buffer.concat([rest, Buffer.from(text, 'latin1')])), close);
        const { closed, readError } = await outcome;
        assert.equal(closed.code, closeCode);
        assert.equal(closed.wasClean, false);
        assert.match(closed.reason, /corrupt compressed data/);
        // The pending read is rejected with the code the connection failed with.
        assert.ok(readError instanceof ConnectionClosedError);
        assert.equal(readError.closeCode, closeCode);
      } finally {
        socket.destroy();
      }
    });
  }
});
