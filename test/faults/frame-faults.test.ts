// Issue 5 and issue 10, bad and odd frames against `fullduplex serve` as a real process: a message
// within --max-payload is accepted however finely it is fragmented (RFC 6455 5.4), and holds memory in
// proportion to its bytes, not its fragments; a flood of tiny fragments past --max-payload is refused
// with 1009, as is a message over an opt-in --max-fragments; a frame header claiming 2^62 bytes gets
// 1009 (2^63, the top bit, 1002) before any payload is sent, without the server allocating for the claim.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import {
  claimedLengthHeader,
  killChildren,
  MiB,
  maskedFrame,
  mib,
  peakRss,
  rawWebSocket,
  readFramesUntilClosed,
  rss,
  type ServeProcess,
  type ServerFrame,
  ServerFrameReader,
  skipWithoutProc,
  sleep,
  startServe,
  writeAll,
} from './fault-harness.js';

after(killChildren);

const TEXT = 0x1;
const CONTINUATION = 0x0;
const BINARY = 0x2;
const CLOSE = 0x8;

/** One text message of `count` frames, one byte ('a') each, as one buffer; unfinished if `fin` is false. */
function fragmentedMessage(count: number, fin = true): Buffer {
  const frames: Buffer[] = [];
  const byte = Buffer.from('a');
  for (let index = 0; index < count; index++)
    frames.push(maskedFrame(index === 0 ? TEXT : CONTINUATION, byte, fin && index === count - 1));
  return Buffer.concat(frames);
}

/** `payload` as a binary message in fragments of `size` bytes, then an empty final fragment. */
function finelyFragmented(payload: Buffer, size: number): Buffer {
  const frames: Buffer[] = [];
  for (let offset = 0; offset < payload.length; offset += size)
    frames.push(
      maskedFrame(offset === 0 ? BINARY : CONTINUATION, payload.subarray(offset, offset + size), false),
    );
  frames.push(maskedFrame(CONTINUATION, Buffer.alloc(0), true));
  return Buffer.concat(frames);
}

/** Sends `bytes` on a fresh connection and returns what the server answered before closing TCP. */
async function sendAndWatch(serve: ServeProcess, bytes: Buffer) {
  const { socket, rest } = await rawWebSocket(serve.port);
  const answer = readFramesUntilClosed(socket, rest, 5000);
  await writeAll(socket, bytes).catch(() => {}); // the server may close before taking it all
  return answer;
}

/** Sends `bytes` and resolves with the first data frame echoed back; the connection is then closed. */
async function sendAndReadEcho(serve: ServeProcess, bytes: Buffer): Promise<ServerFrame> {
  const { socket, rest } = await rawWebSocket(serve.port);
  const reader = new ServerFrameReader();
  reader.push(rest);
  const echoed = new Promise<ServerFrame>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no echo within 5 s')), 5000);
    const check = (): void => {
      const frame = reader.frames.find((candidate) => candidate.opcode !== 0x9);
      if (!frame) return;
      clearTimeout(timer);
      resolve(frame);
    };
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      check();
    });
    socket.once('close', () => check());
    socket.resume();
  });
  await writeAll(socket, bytes);
  try {
    return await echoed;
  } finally {
    socket.destroy();
  }
}

describe('issue 5 and 10: fragments and absurd lengths', () => {
  test('default limits: a 4 MiB message in 64-byte fragments (65,537 frames) is echoed whole', async () => {
    const serve = await startServe(['--mode', 'echo']);
    try {
      const payload = Buffer.alloc(4 * MiB);
      for (let index = 0; index < payload.length; index++) payload[index] = (index * 7) & 0xff;
      const echo = await sendAndReadEcho(serve, finelyFragmented(payload, 64));
      assert.equal(echo.opcode, BINARY, 'the echo of the fragmented message');
      assert.equal(echo.payload.length, payload.length);
      assert.ok(echo.payload.equals(payload), 'byte for byte');
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });

  test('a flood of one-byte fragments past --max-payload is refused with 1009; one within it is echoed', async () => {
    const serve = await startServe(['--mode', 'echo', '--max-payload', '65536']);
    try {
      const echo = await sendAndReadEcho(serve, fragmentedMessage(65536));
      assert.equal(echo.opcode, TEXT, 'the echo of the 65,536-fragment message');
      assert.equal(echo.payload.length, 65536);

      const refused = await sendAndWatch(serve, fragmentedMessage(65537));
      assert.ok(refused.closedInTime, 'the server closed TCP');
      assert.equal(refused.closeCode, 1009);
      assert.ok(
        !refused.frames.some((frame) => frame.opcode === TEXT),
        'no part of the refused message was echoed',
      );
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });

  test('8 unfinished messages of 65,536 one-byte fragments hold memory for their bytes, not their frames', {
    skip: skipWithoutProc(),
  }, async () => {
    const serve = await startServe(['--mode', 'echo']);
    const sockets: Socket[] = [];
    try {
      await sleep(300);
      const before = rss(serve.pid);
      const message = fragmentedMessage(65536, false);
      for (let index = 0; index < 8; index++) {
        const { socket } = await rawWebSocket(serve.port);
        sockets.push(socket);
        await writeAll(socket, message);
      }
      await sleep(1000); // the server reads all of it; the garbage of its reads is collected meanwhile
      const growth = rss(serve.pid) - before;
      console.log(`# 8 x 65,536 one-byte fragments in progress: server RSS growth ${mib(growth)}`);
      // 512 KiB of payload in all. Keeping each fragment as its own chunk held ~10 MiB per message.
      assert.ok(growth < 24 * MiB, `server RSS grew by ${mib(growth)}`);
      for (const socket of sockets) assert.equal(socket.destroyed, false, 'every connection is still open');
    } finally {
      for (const socket of sockets) socket.destroy();
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });

  test('--max-fragments 4 (opt-in): 4 fragments are echoed, 5 are refused with 1009', async () => {
    const serve = await startServe(['--mode', 'echo', '--max-fragments', '4']);
    const echo = await sendAndReadEcho(serve, fragmentedMessage(4));
    assert.equal(echo.payload.toString(), 'aaaa');

    const refused = await sendAndWatch(serve, fragmentedMessage(5));
    assert.ok(refused.closedInTime);
    assert.equal(refused.closeCode, 1009);
    serve.child.kill('SIGTERM');
    await serve.exited;
  });

  test('a header claiming 2^62 bytes gets 1009 and 2^63 gets 1002, at once and without allocating', {
    skip: skipWithoutProc(),
  }, async () => {
    const serve = await startServe(['--mode', 'echo']);
    const before = rss(serve.pid);
    const cases = [
      { length: 2n ** 62n, code: 1009 }, // RFC 6455 7.4.1: too big to process
      { length: 2n ** 63n, code: 1002 }, // RFC 6455 5.2: the most significant bit MUST be 0
      { length: BigInt(64 * MiB + 1), code: 1009 }, // just over the 64 MiB default --max-payload
    ];
    for (const { length, code } of cases) {
      // "At once" is an event here: the close came with only the header sent, no payload byte.
      const answer = await sendAndWatch(serve, claimedLengthHeader(BINARY, length));
      assert.ok(answer.closedInTime, `claim ${length}: TCP closed without the payload being sent`);
      assert.equal(answer.closeCode, code, `claim ${length}`);
      assert.equal(answer.frames.filter((frame) => frame.opcode === CLOSE).length, 1);
    }
    const growth = peakRss(serve.pid) - before;
    console.log(`# absurd lengths: server peak RSS growth ${mib(growth)}`);
    // The main evidence is the refusal before any payload byte was sent (the limit was decided from the
    // header). RSS only catches an allocation whose pages are touched (a zero-filled or copied buffer).
    assert.ok(growth < 16 * MiB, `server peak RSS grew by ${mib(growth)}`);
    serve.child.kill('SIGTERM');
    await serve.exited;
  });
});
