// RFC 6455 7.1.7 with messages in flight: a peer sends, in one write, a valid message and then a bad
// frame. The message is delivered (to a listener or a reader), whatever was queued before the failure
// (the listener's reply) goes out, and then the Close 1002; on both sides of a connection.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionClosedError } from '../../src/errors.js';
import { rawPair, until } from '../helpers/connection-pair.js';
import { clientFrame, frame } from '../helpers/frames.js';

const TEXT = 0x1;
const CONTINUATION = 0x0;
const CLOSE = 0x8;

const badFrames = {
  'an RSV bit without an extension': { opcode: TEXT, payload: 'x', rsv2: true },
  'a reserved opcode': { opcode: 0x3, payload: 'x' },
  'a continuation with nothing to continue': { opcode: CONTINUATION, payload: 'x' },
} as const;

for (const role of ['server', 'client'] as const) {
  // What the raw peer sends: masked toward a server, unmasked toward a client (RFC 6455 5.1).
  const peerFrame = role === 'server' ? clientFrame : frame;

  describe(`a ${role} failed by a bad frame right after a valid message`, () => {
    for (const [name, bad] of Object.entries(badFrames)) {
      test(`${name}: the message reaches the listener and its reply goes out before the Close 1002`, async () => {
        const { connection, peer } = rawPair({ role });
        const seen: unknown[] = [];
        connection.onMessage((message) => {
          seen.push(message.data);
          connection.send(`echo ${message.data}`);
        });
        peer.send(Buffer.concat([peerFrame({ opcode: TEXT, payload: 'hello' }), peerFrame(bad)]));
        await until(() => peer.frames().some((received) => received.opcode === CLOSE));
        assert.deepEqual(seen, ['hello']);
        const frames = peer.frames();
        assert.deepEqual(
          frames.map((received) => [received.opcode, received.payload.toString('latin1')]),
          [
            [TEXT, 'echo hello'],
            [CLOSE, `${String.fromCharCode(0x03, 0xea)}`],
          ],
        );
        connection.terminate(); // the raw peer never answers the Close
      });
    }

    test('a waiting read() gets the message; a message nobody read yet stays readable', async () => {
      const { connection, peer } = rawPair({ role });
      const waiting = connection.read();
      const bad = peerFrame(badFrames['a reserved opcode']);
      peer.send(
        Buffer.concat([
          peerFrame({ opcode: TEXT, payload: 'first' }),
          peerFrame({ opcode: TEXT, payload: 'second' }),
          bad,
        ]),
      );
      assert.deepEqual(await waiting, { type: 'text', data: 'first' });
      await until(() => peer.frames().some((received) => received.opcode === CLOSE));
      connection.terminate();
      assert.deepEqual(await connection.read(), { type: 'text', data: 'second' });
      await assert.rejects(connection.read(), (error: unknown) => {
        assert.ok(error instanceof ConnectionClosedError);
        assert.equal(error.closeCode, 1002);
        return true;
      });
    });
  });
}
