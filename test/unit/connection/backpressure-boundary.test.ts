// The exact outbound bound: bufferedAmount AT maxBufferedBytes is within it, one byte more is over
// it. Checked for send()'s answer, write(), drained() and every slow-consumer policy, so that an
// off-by-one in any bound check (`>` for `>=`, `<=` for `<`) fails here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BufferBudget } from '../../../src/connection/buffer-budget.js';
import type { Connection } from '../../../src/connection/connection.js';
import type { ConnectionOptions } from '../../../src/connection/connection-options.js';
import { ConnectionClosedError } from '../../../src/errors.js';
import { macrotask, rawPair } from '../../helpers/connection-pair.js';

const BOUND = 100;
/** A server's binary frame of up to 125 payload bytes: a 2-byte header, no mask. */
const HEADER = 2;

/**
 * A server connection whose peer reads nothing: every byte sent stays in bufferedAmount, and the
 * transport is past its own high-water mark (else a stalled transport counts as drained).
 */
function stalled(options: Partial<ConnectionOptions> = {}) {
  const pair = rawPair({
    role: 'server',
    maxBufferedBytes: BOUND,
    pipe: { highWaterMark: BOUND / 2 },
    ...options,
  });
  pair.peer.end.pause();
  return pair;
}

/** A message whose frame brings bufferedAmount to BOUND + `over`, from empty. */
function fill(connection: Connection, over: 0 | 1): boolean {
  const result = connection.send(Buffer.alloc(BOUND - HEADER + over));
  assert.equal(connection.bufferedAmount, BOUND + over);
  return result;
}

/** 'settled' when `promise` settles before the pipe would deliver anything, else 'waiting'. */
async function settlesAtOnce(promise: Promise<unknown>): Promise<'settled' | 'waiting'> {
  return Promise.race([
    promise.then(
      () => 'settled' as const,
      () => 'settled' as const,
    ),
    macrotask().then(() => 'waiting' as const),
  ]);
}

describe('send(): true up to and at maxBufferedBytes, false one byte over', () => {
  test('a message that fills the buffer to exactly the bound: true', () => {
    const { connection } = stalled();
    assert.equal(fill(connection, 0), true);
    connection.terminate();
  });

  test('a message that fills it to the bound + 1 byte: false', () => {
    const { connection } = stalled();
    assert.equal(fill(connection, 1), false);
    connection.terminate();
  });

  test('several messages: true while the sum is at the bound, false from the byte past it', () => {
    const { connection } = stalled();
    assert.equal(connection.send(Buffer.alloc(48)), true); // 50
    assert.equal(connection.send(Buffer.alloc(48)), true); // 100: at the bound
    assert.equal(connection.bufferedAmount, BOUND);
    assert.equal(connection.send(Buffer.alloc(0)), false); // 102
    connection.terminate();
  });
});

describe('write() and drained(): at the bound they resolve at once; one byte over they wait', () => {
  test('write() that fills to the bound resolves at once', async () => {
    const { connection } = stalled();
    assert.equal(await settlesAtOnce(connection.write(Buffer.alloc(BOUND - HEADER))), 'settled');
    assert.equal(connection.bufferedAmount, BOUND);
    connection.terminate();
  });

  test('write() that fills to the bound + 1 waits until the peer reads', async () => {
    const { connection, peer } = stalled();
    const write = connection.write(Buffer.alloc(BOUND - HEADER + 1));
    assert.equal(await settlesAtOnce(write), 'waiting');
    for (let i = 0; i < 5; i++) await macrotask();
    assert.equal(await settlesAtOnce(write), 'waiting', 'still waiting while nothing is read');
    peer.end.resume();
    await write;
    assert.equal(connection.bufferedAmount, 0);
    connection.terminate();
  });

  test('drained() at the bound resolves at once; one byte over it waits, and onDrain follows', async () => {
    // After the flush: the bytes are in the transport, and only drained()'s own check decides.
    const atBound = stalled();
    fill(atBound.connection, 0);
    await macrotask();
    assert.equal(await settlesAtOnce(atBound.connection.drained()), 'settled');
    atBound.connection.terminate();

    const over = stalled();
    fill(over.connection, 1);
    await macrotask();
    let drains = 0;
    over.connection.onDrain(() => drains++);
    const drained = over.connection.drained();
    assert.equal(await settlesAtOnce(drained), 'waiting');
    over.peer.end.resume();
    await drained;
    assert.equal(drains, 1);
    over.connection.terminate();
  });
});

describe('writeStream(): a fragment that fills to the bound goes on at once; one byte over waits', () => {
  for (const over of [0, 1] as const) {
    test(`a first fragment whose frame makes bufferedAmount the bound + ${over}`, async () => {
      const { connection, peer } = stalled();
      const writer = connection.writeStream('binary').getWriter();
      const write = writer.write(Buffer.alloc(BOUND - HEADER + over));
      assert.equal(await settlesAtOnce(write), over === 0 ? 'settled' : 'waiting');
      assert.equal(connection.bufferedAmount, BOUND + over);
      peer.end.resume();
      await write;
      await writer.close();
      connection.terminate();
    });
  }
});

describe('slow-consumer policies act only over the bound, never at it', () => {
  const NEXT = 10; // the message sent when the buffer is at the bound, or one byte over it

  test("'drop-newest': at the bound the next message is queued; one byte over it is dropped", () => {
    for (const over of [0, 1] as const) {
      const { connection } = stalled({ backpressure: 'drop-newest' });
      fill(connection, over);
      connection.send(Buffer.alloc(NEXT));
      assert.equal(connection.stats.messagesDropped, over, `at bound + ${over}`);
      assert.equal(connection.bufferedAmount, BOUND + over + (over === 0 ? NEXT + HEADER : 0));
      connection.terminate();
    }
  });

  test("'drop-oldest': at the bound nothing is evicted; one byte over it the oldest goes", () => {
    for (const over of [0, 1] as const) {
      const { connection } = stalled({ backpressure: 'drop-oldest' });
      const drops: Array<[string, number, number]> = [];
      connection.onDrop((reason, messages, bytes) => drops.push([reason, messages, bytes]));
      fill(connection, over); // still in the connection's queue: the same turn
      connection.send(Buffer.alloc(NEXT));
      if (over === 0) {
        assert.deepEqual(drops, []);
        assert.equal(connection.bufferedAmount, BOUND + NEXT + HEADER);
      } else {
        assert.deepEqual(drops, [['drop-oldest', 1, BOUND + 1]]);
        assert.equal(connection.bufferedAmount, NEXT + HEADER);
      }
      connection.terminate();
    }
  });

  test("'close': at the bound the next message is queued; one byte over it closes with 1013", async () => {
    const atBound = stalled({ backpressure: 'close' });
    fill(atBound.connection, 0);
    atBound.connection.send(Buffer.alloc(NEXT));
    assert.equal(atBound.connection.readyState, 'open');
    atBound.connection.terminate();

    const over = stalled({ backpressure: 'close' });
    fill(over.connection, 1);
    assert.throws(() => over.connection.send(Buffer.alloc(NEXT)), ConnectionClosedError);
    assert.equal(over.connection.readyState, 'closing');
    over.connection.terminate();
    assert.equal((await over.connection.closed).code, 1013);
  });

  test("'close' through write(): at the bound it resolves; one byte over it rejects", async () => {
    const atBound = stalled({ backpressure: 'close' });
    fill(atBound.connection, 0);
    assert.equal(atBound.connection.readyState, 'open');
    const queued = atBound.connection.write(Buffer.alloc(NEXT));
    assert.equal(atBound.connection.readyState, 'open');
    atBound.connection.terminate();
    await queued.catch(() => undefined); // over the bound now, so it waited; terminate rejects it

    const over = stalled({ backpressure: 'close' });
    fill(over.connection, 1);
    await assert.rejects(over.connection.write(Buffer.alloc(NEXT)), ConnectionClosedError);
    over.connection.terminate();
  });

  // 'wait' and 'latest-by-key' keep queueing past the bound; a budget that is exceeded decides
  // only for a connection over its own bound.
  for (const backpressure of ['wait', 'latest-by-key'] as const) {
    test(`'${backpressure}' with an exceeded budget: at the bound the next message is queued; one byte over it the budget drops it`, () => {
      for (const over of [0, 1] as const) {
        const budget = new BufferBudget(0, { overflow: 'drop-newest' });
        const { connection } = stalled({ backpressure, budget });
        const drops: string[] = [];
        connection.onDrop((reason) => drops.push(reason));
        fill(connection, over); // queued in this turn: the budget counts it, so it is exceeded
        assert.equal(budget.exceeded, true);
        connection.send(Buffer.alloc(NEXT), { key: 'other' });
        assert.deepEqual(drops, over === 0 ? [] : ['budget'], `at bound + ${over}`);
        connection.terminate();
      }
    });
  }
});
