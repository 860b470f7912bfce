// Issue 5, a ping flood against `fullduplex serve` as a real process: 100,000 masked pings with
// 125-byte payloads (12.9 MB) written in big batches while the client reads nothing. RFC 6455 5.5.3
// lets the server answer only the most recent ping, and our queue owes at most 128 pongs (past them
// a newer pong takes the newest one's place), so the server's memory stays bounded; the connection
// stays open and works afterwards.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  killChildren,
  MiB,
  maskedFrame,
  mib,
  peakRss,
  rawWebSocket,
  rss,
  ServerFrameReader,
  skipWithoutProc,
  sleep,
  startServe,
  writeAll,
} from './fault-harness.js';

after(killChildren);

const PINGS = 100_000;
const BATCH = 2000;
const PING = 0x9;
const PONG = 0xa;
const TEXT = 0x1;
const CLOSE = 0x8;

/** A 125-byte ping payload (the most a control frame may carry, RFC 6455 5.5) numbered `index`. */
function pingPayload(index: number): Buffer {
  const payload = Buffer.alloc(125, 0x2e);
  payload.writeUInt32BE(index, 0);
  return payload;
}

describe('issue 5: ping flood', { skip: skipWithoutProc() }, () => {
  test('100,000 pings to a client that does not read leave server RSS bounded; the connection still echoes', async () => {
    const serve = await startServe(['--mode', 'echo']);
    await sleep(200);
    const before = rss(serve.pid);
    const { socket, rest } = await rawWebSocket(serve.port);
    // The client reads nothing while it floods: the server's pongs back up into the socket buffers.
    socket.pause();
    for (let start = 0; start < PINGS; start += BATCH) {
      const frames: Buffer[] = [];
      for (let index = start; index < start + BATCH; index++)
        frames.push(maskedFrame(PING, pingPayload(index)));
      await writeAll(socket, Buffer.concat(frames));
    }
    // Let the server read what the kernel still holds, then take its peak before we read anything.
    await sleep(500);
    const peak = peakRss(serve.pid);
    const growth = peak - before;

    // Now read: pongs answer pings in order, and the last one answers the last ping.
    const reader = new ServerFrameReader();
    reader.push(rest);
    const lastPayload = pingPayload(PINGS - 1);
    const sawLastPong = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no pong for the last ping within 10 s')), 10_000);
      socket.on('data', (chunk: Buffer) => {
        reader.push(chunk);
        const last = reader.frames[reader.frames.length - 1];
        if (last?.opcode === PONG && last.payload.equals(lastPayload)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    socket.resume();
    await sawLastPong;
    const pongs = reader.frames.filter((frame) => frame.opcode === PONG);
    let previous = -1;
    for (const pong of pongs) {
      const index = pong.payload.readUInt32BE(0);
      assert.ok(index > previous, `pong ${index} after pong ${previous}: answers are in ping order`);
      previous = index;
    }
    console.log(
      `# ping flood: ${PINGS} pings, ${pongs.length} pongs back (the rest coalesced, RFC 6455 5.5.3); ` +
        `server RSS before ${mib(before)}, peak ${mib(peak)}, growth ${mib(growth)}`,
    );
    assert.equal(
      reader.frames.filter((frame) => frame.opcode !== PONG).length,
      0,
      'only pongs came back: no close',
    );
    assert.ok(pongs.length <= PINGS);
    // At most 128 owed pongs per connection (16 KiB): growth is socket buffers and garbage (observed
    // ~6 MiB), not 100,000 queued pong frames (12.7 MB of frames plus a Buffer object each).
    assert.ok(growth < 16 * MiB, `server peak RSS grew by ${mib(growth)}`);

    // The connection is still open and works: it echoes, then closes cleanly.
    reader.frames.length = 0;
    const echoed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no echo and close within 5 s')), 5000);
      socket.on('data', () => {
        const codes = reader.frames.map((frame) => frame.opcode);
        if (codes.includes(TEXT) && codes.includes(CLOSE)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    socket.write(maskedFrame(TEXT, Buffer.from('still here')));
    const closeBody = Buffer.from([0x03, 0xe8]); // 1000
    socket.write(maskedFrame(CLOSE, closeBody));
    await echoed;
    const text = reader.frames.find((frame) => frame.opcode === TEXT);
    const close = reader.frames.find((frame) => frame.opcode === CLOSE);
    assert.equal(text?.payload.toString(), 'still here');
    assert.equal(close?.payload.readUInt16BE(0), 1000, 'the close handshake completes normally');
    socket.destroy();
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0);
  });
});
