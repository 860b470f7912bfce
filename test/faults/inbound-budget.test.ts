// Limits under attack, inbound: `fullduplex serve` as a real process with a small --memory-budget,
// and raw TCP peers that each start one big message and never finish it. Without the budget on
// inbound bytes the server would hold every byte of every unfinished message (16 x 8 MiB here); with
// it, the peers growing past their own bound while the budget is exceeded get Close 1013, what they
// sent stops being held, and a well-behaved client is still served. Also: a 16 MiB message still
// passes with the default budget.
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
  rss,
  type ServeProcess,
  ServerFrameReader,
  skipWithoutProc,
  sleep,
  startServe,
  writeAll,
} from './fault-harness.js';

after(killChildren);

const BINARY = 0x2;
const CLOSE = 0x8;

const BUDGET = 32 * MiB;
const ATTACKERS = 16;
/** What each attacker's frame header claims: under the 64 MiB --max-payload, so it is accepted. */
const CLAIMED = 32 * MiB;
const PIECE = Buffer.alloc(64 * 1024, 0x5a);
/** Payload pieces each attacker sends (8 MiB), whatever the server answers, so 128 MiB are offered. */
const PIECES = (8 * MiB) / PIECE.length;
const OFFERED = ATTACKERS * PIECES * PIECE.length;
/**
 * Growth of the server's peak RSS allowed: the budget, plus room for V8, Node and the garbage of
 * 128 MiB of 64 KiB socket reads not yet collected. Holding every unfinished message would take
 * 128 MiB on top of the same garbage.
 */
const GROWTH_BOUND = 96 * MiB;

interface Attack {
  readonly socket: Socket;
  readonly reader: ServerFrameReader;
  /** Payload bytes the socket took. */
  sent: number;
}

/** Opens a connection, claims CLAIMED bytes in one frame header, then sends PIECES pieces of it. */
async function attack(port: number): Promise<Attack> {
  const { socket, rest } = await rawWebSocket(port);
  const reader = new ServerFrameReader();
  reader.push(rest);
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.resume();
  const result: Attack = { socket, reader, sent: 0 };
  await writeAll(socket, claimedLengthHeader(BINARY, BigInt(CLAIMED)));
  for (let piece = 0; piece < PIECES && !socket.destroyed; piece++) {
    try {
      await writeAll(socket, PIECE);
    } catch {
      break; // the server cut TCP: nothing more can be offered on this one
    }
    result.sent += PIECE.length;
  }
  return result;
}

/** Sends one message of `size` bytes on a fresh connection and resolves with the echo's payload length. */
async function echoLength(serve: ServeProcess, size: number): Promise<number> {
  const { socket, rest } = await rawWebSocket(serve.port);
  const chunks: Buffer[] = rest.length > 0 ? [rest] : [];
  let received = rest.length;
  const echoed = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${size}-byte echo within 20 s`)), 20_000);
    const check = (): void => {
      if (received < 10) return;
      const head = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      if (chunks.length > 1) chunks.splice(0, chunks.length, head);
      assert.equal((head[0] as number) & 0x0f, BINARY, 'the first frame back is the echo');
      const code = (head[1] as number) & 0x7f;
      const length =
        code === 127 ? Number(head.readBigUInt64BE(2)) : code === 126 ? head.readUInt16BE(2) : code;
      const headerLength = code === 127 ? 10 : code === 126 ? 4 : 2;
      if (received >= headerLength + length) {
        clearTimeout(timer);
        resolve(length);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      // Parse only once the whole echo can be here: no quadratic joining of a 16 MiB answer.
      if (received >= size) check();
    });
    socket.resume();
  });
  try {
    await writeAll(socket, maskedFrame(BINARY, Buffer.alloc(size, 0x61)));
    return await echoed;
  } finally {
    socket.destroy();
  }
}

describe('limits under attack: unfinished big messages count against --memory-budget', {
  skip: skipWithoutProc(),
}, () => {
  test('16 peers each send 8 MiB of a 32 MiB frame: most get 1013, the server stays well under 128 MiB, an honest client is served', async () => {
    const serve = await startServe(['--mode', 'echo', '--memory-budget', String(BUDGET)]);
    await sleep(200);
    const before = rss(serve.pid);
    const attacks: Attack[] = [];
    try {
      const settled = await Promise.allSettled(
        Array.from({ length: ATTACKERS }, () =>
          attack(serve.port).then((result) => {
            attacks.push(result);
            return result;
          }),
        ),
      );
      for (const outcome of settled)
        assert.equal(outcome.status, 'fulfilled', String((outcome as PromiseRejectedResult).reason));
      await sleep(300); // the server reads what the kernel still holds for it
      const peak = peakRss(serve.pid);
      const growth = peak - before;
      const codes = attacks.map((entry) => {
        const close = entry.reader.frames.find((frame) => frame.opcode === CLOSE);
        return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
      });
      const closed = codes.filter((code) => code !== undefined);
      const sent = attacks.reduce((sum, entry) => sum + entry.sent, 0);
      console.log(
        `# ${closed.length} of ${ATTACKERS} got Close ${[...new Set(closed)].join(',')}; ` +
          `${mib(sent)} of ${mib(OFFERED)} offered was taken; server RSS before ${mib(before)}, ` +
          `peak ${mib(peak)}, growth ${mib(growth)} (bound ${mib(GROWTH_BOUND)}, budget ${mib(BUDGET)})`,
      );
      assert.deepEqual([...new Set(closed)], [1013], 'every close was 1013 (try again later), nothing else');
      // 16 x 8 MiB cannot fit in 32 MiB: at most 4 can finish their 8 MiB, and each peer over its
      // 1 MiB bound is closed when it grows while the budget is exceeded.
      assert.ok(closed.length >= ATTACKERS - 6, `${closed.length} of ${ATTACKERS} closed with 1013`);
      assert.ok(
        sent >= OFFERED / 2,
        `the server kept reading (and dropping) what closed peers sent: ${mib(sent)}`,
      );
      assert.ok(growth < GROWTH_BOUND, `server peak RSS grew by ${mib(growth)}, bound ${mib(GROWTH_BOUND)}`);

      // A well-behaved client connects (the budget is not exceeded, or shedding makes room) and is served.
      assert.equal(await echoLength(serve, 512 * 1024), 512 * 1024);
    } finally {
      for (const entry of attacks) entry.socket.destroy();
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });
});

describe('big messages still pass while the budget has room', () => {
  test('a single 16 MiB message is still echoed with the default budget', async () => {
    const serve = await startServe(['--mode', 'echo']);
    try {
      assert.equal(await echoLength(serve, 16 * MiB), 16 * MiB);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });
});
