// Issue 5, bad frames against `fullduplex serve` as a real process: a message in more fragments than
// --max-fragments allows is refused with 1009 (default 65536 and a small configured limit), and a
// frame header claiming 2^62 bytes gets 1009 (2^63, the top bit, 1002) before any payload is sent,
// without the server allocating for the claim.
import assert from 'node:assert/strict';
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
  startServe,
  writeAll,
} from './fault-harness.js';

after(killChildren);

const TEXT = 0x1;
const CONTINUATION = 0x0;
const BINARY = 0x2;
const CLOSE = 0x8;

/** One text message of `count` frames, one byte ('a') each, as one buffer. */
function fragmentedMessage(count: number): Buffer {
  const frames: Buffer[] = [];
  const byte = Buffer.from('a');
  for (let index = 0; index < count; index++)
    frames.push(maskedFrame(index === 0 ? TEXT : CONTINUATION, byte, index === count - 1));
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

describe('issue 5: fragment limits and absurd lengths', () => {
  test('default limit: 65536 fragments are one message; 65537 are refused with 1009', async () => {
    const serve = await startServe(['--mode', 'echo']);
    const echo = await sendAndReadEcho(serve, fragmentedMessage(65536));
    assert.equal(echo.opcode, TEXT, 'the echo of the 65536-fragment message');
    assert.equal(echo.payload.length, 65536);

    const refused = await sendAndWatch(serve, fragmentedMessage(65537));
    assert.ok(refused.closedInTime, 'the server closed TCP');
    assert.equal(refused.closeCode, 1009);
    assert.ok(
      !refused.frames.some((frame) => frame.opcode === TEXT),
      'no part of the refused message was echoed',
    );
    serve.child.kill('SIGTERM');
    await serve.exited;
  });

  test('--max-fragments 4: 4 fragments are echoed, 5 are refused with 1009', async () => {
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
      const started = performance.now();
      const answer = await sendAndWatch(serve, claimedLengthHeader(BINARY, length));
      const elapsed = performance.now() - started;
      assert.ok(answer.closedInTime, `claim ${length}: TCP closed without the payload being sent`);
      assert.equal(answer.closeCode, code, `claim ${length}`);
      assert.equal(answer.frames.filter((frame) => frame.opcode === CLOSE).length, 1);
      assert.ok(elapsed < 2000, `claim ${length}: answered after ${elapsed.toFixed(0)} ms`);
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
