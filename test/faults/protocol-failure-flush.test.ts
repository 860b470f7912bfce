// Issue 10 item 2 against real peers: a valid text message and a bad frame in one TCP write. The
// echo of the valid message, queued before the failure, goes out before the Close 1002; `ws` does the
// same. Raw sockets against `fullduplex serve`, then `ws` on either side of our client and server.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import { connect } from '../../src/client/connect.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import {
  killChildren,
  maskedFrame,
  rawWebSocket,
  readFramesUntilClosed,
  type ServeProcess,
  startServe,
  writeAll,
} from './fault-harness.js';

after(killChildren);

const TEXT = 0x1;
const CLOSE = 0x8;

/** Unmasked (server-to-client) frame with the first byte given whole: FIN, RSV bits and opcode. */
function serverFrame(firstByte: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte, payload.length]), payload]);
}

const badFirstBytes = {
  'an RSV bit without an extension': 0x80 | 0x20 | TEXT,
  'a reserved opcode': 0x80 | 0x3,
  'a continuation with nothing to continue': 0x80 | 0x0,
} as const;

function maskedWithFirstByte(firstByte: number, payload: Buffer): Buffer {
  const bytes = maskedFrame(firstByte & 0x0f, payload);
  bytes[0] = firstByte;
  return bytes;
}

describe('a protocol failure after a valid message: the echo, then the Close 1002', () => {
  let serve: ServeProcess | undefined;

  for (const [name, firstByte] of Object.entries(badFirstBytes)) {
    test(`fullduplex serve, raw socket: ${name}`, async () => {
      serve ??= await startServe(['--mode', 'echo']);
      const { socket, rest } = await rawWebSocket(serve.port);
      const answer = readFramesUntilClosed(socket, rest, 5000);
      const bytes = Buffer.concat([
        maskedFrame(TEXT, Buffer.from('hello')),
        maskedWithFirstByte(firstByte, Buffer.from('x')),
      ]);
      await writeAll(socket, bytes).catch(() => {});
      const { frames, closeCode, closedInTime } = await answer;
      assert.deepEqual(
        frames.map((received) => [received.opcode, received.payload.toString()]),
        [
          [TEXT, 'hello'],
          [CLOSE, frames[1]?.payload.toString()],
        ],
      );
      assert.equal(closeCode, 1002);
      assert.equal(closedInTime, true);
    });
  }

  test('a ws client gets its echo, then 1002, from our server', async () => {
    const server = new WebSocketServer({
      onConnection: (connection) => connection.onMessage((message) => connection.send(message.data)),
    });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
      await once(client, 'open');
      const received: string[] = [];
      client.on('message', (data) => received.push(String(data)));
      const closed = once(client, 'close');
      // ws has no API for a bad frame: write to its socket directly, in one write.
      const raw = (client as unknown as { _socket: { write(bytes: Buffer): void } })._socket;
      raw.write(
        Buffer.concat([
          maskedFrame(TEXT, Buffer.from('hello')),
          maskedWithFirstByte(badFirstBytes['a reserved opcode'], Buffer.from('x')),
        ]),
      );
      const [code] = await closed;
      assert.deepEqual(received, ['hello']);
      assert.equal(code, 1002);
    } finally {
      await server.close({ timeout: 100 });
    }
  });

  test('our client delivers the message, its reply reaches the ws server, then 1002', async () => {
    const wss = new WsServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const { port } = wss.address() as AddressInfo;
    const serverSide = new Promise<{ messages: string[]; code: number }>((resolve) => {
      wss.on('connection', (socket) => {
        const messages: string[] = [];
        socket.on('close', (code) => resolve({ messages, code }));
        // Once the client listens (it says 'ready'): the message and the bad frame in one write.
        socket.once('message', () => {
          socket.on('message', (data) => messages.push(String(data)));
          const raw = (socket as unknown as { _socket: { write(bytes: Buffer): void } })._socket;
          raw.write(
            Buffer.concat([
              serverFrame(0x80 | TEXT, Buffer.from('hello')),
              serverFrame(badFirstBytes['an RSV bit without an extension'], Buffer.from('x')),
            ]),
          );
        });
      });
    });
    try {
      const connection = await connect(`ws://127.0.0.1:${port}/`);
      const seen: unknown[] = [];
      connection.onMessage((message) => {
        seen.push(message.data);
        connection.send(`reply ${message.data}`);
      });
      connection.send('ready');
      const { messages, code } = await serverSide;
      assert.deepEqual(seen, ['hello']);
      assert.deepEqual(messages, ['reply hello']);
      assert.equal(code, 1002);
      assert.equal((await connection.closed).code, 1002);
    } finally {
      for (const client of wss.clients) client.terminate();
      wss.close();
    }
  });
});
