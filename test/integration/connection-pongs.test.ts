// RFC 6455 5.5.2/5.5.3 from the application's side: with `autoPong: false` pings are answered with
// the public pong(), which also sends unsolicited pongs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionClosedError, WebSocketError } from '../../src/errors.js';
import { macrotask, rawPair, until } from '../helpers/connection-pair.js';
import { clientFrame } from '../helpers/frames.js';

const PING = 0x9;
const PONG = 0xa;
const CLOSE = 0x8;

describe('pong()', () => {
  test('with autoPong: false nothing answers a ping until onPing calls pong(payload)', async () => {
    const { connection, peer } = rawPair({ autoPong: false });
    let answer = false;
    connection.onPing((payload) => {
      if (answer) connection.pong(payload);
    });
    peer.send(clientFrame({ opcode: PING, payload: 'unanswered' }));
    for (let turn = 0; turn < 5; turn++) await macrotask();
    assert.deepEqual(peer.frames(), [], 'autoPong is off');
    answer = true;
    peer.send(clientFrame({ opcode: PING, payload: 'one' }), clientFrame({ opcode: PING, payload: 'two' }));
    await until(() => peer.frames().length >= 2);
    assert.deepEqual(
      peer.frames().map((frame) => [frame.opcode, frame.payload.toString()]),
      [
        [PONG, 'one'],
        [PONG, 'two'],
      ],
    );
    connection.terminate();
  });

  test('an unsolicited pong: empty by default, text or bytes, at most 125 bytes', async () => {
    const { connection, peer } = rawPair();
    connection.pong();
    connection.pong('beat');
    connection.pong(new Uint8Array([1, 2]));
    assert.throws(() => connection.pong(Buffer.alloc(126)), WebSocketError);
    await until(() => peer.frames().length >= 3);
    assert.deepEqual(
      peer.frames().map((frame) => [frame.opcode, frame.payload.toString('hex')]),
      [
        [PONG, ''],
        [PONG, Buffer.from('beat').toString('hex')],
        [PONG, '0102'],
      ],
    );
    connection.terminate();
  });

  test("after the peer's Close no pong may be sent: pong() throws ConnectionClosedError", async () => {
    const { connection, peer } = rawPair();
    peer.send(clientFrame({ opcode: CLOSE, payload: Buffer.from([0x03, 0xe8]) }));
    await until(() => peer.frames().some((frame) => frame.opcode === CLOSE));
    assert.throws(() => connection.pong('late'), ConnectionClosedError);
    connection.terminate();
  });
});
