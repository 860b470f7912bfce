// Fan-out and slow consumers (issues 5 and 6) over the in-memory pipe: frame once and hand the same
// Buffers to every server transport; what each slow-consumer policy lets a slow peer receive; the
// shared memory budget.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { broadcast } from '../../src/connection/broadcast.js';
import { BufferBudget } from '../../src/connection/buffer-budget.js';
import type { Connection } from '../../src/connection/connection.js';
import type { ConnectionOptions } from '../../src/connection/connection-options.js';
import type { DropReason } from '../../src/connection/connection-stats.js';
import { prepareMessage } from '../../src/connection/prepared-message.js';
import { ConnectionClosedError } from '../../src/errors.js';
import { type ConnectionPair, connectionPair, macrotask, until } from '../helpers/connection-pair.js';
import { InvertingExtension } from '../helpers/fake-extension.js';
import type { PipeOptions } from '../helpers/pipe.js';

/** A pair whose server transport records every Buffer object it is asked to write. */
function recordedPair(server: Partial<ConnectionOptions> = {}, pipe: PipeOptions = {}) {
  const pair = connectionPair({ server, pipe });
  const written: Buffer[] = [];
  const write = pair.serverEnd.write.bind(pair.serverEnd);
  pair.serverEnd.write = (chunks: Buffer[]): boolean => {
    written.push(...chunks);
    return write(chunks);
  };
  return { ...pair, written };
}

/** Read `count` messages as text. */
async function readTexts(connection: Connection, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const message = await connection.read();
    out.push(typeof message.data === 'string' ? message.data : message.data.toString());
  }
  return out;
}

/** Every message the connection gets until its close; returns them and the close code. */
async function drain(connection: Connection): Promise<{ messages: string[]; code: number }> {
  const messages: string[] = [];
  for (;;) {
    try {
      const message = await connection.read();
      messages.push(typeof message.data === 'string' ? message.data : message.data.toString());
    } catch (error) {
      assert.ok(error instanceof ConnectionClosedError);
      return { messages, code: (await connection.closed).code };
    }
  }
}

async function closeAll(pairs: ConnectionPair[]): Promise<void> {
  for (const { server } of pairs) {
    if (server.readyState === 'open') void server.close();
  }
  for (const { client } of pairs) client.resume();
  await Promise.all(pairs.flatMap(({ client, server }) => [client.closed, server.closed]));
}

/** A 200-byte text payload starting with its index: "7:xxxx...". */
function numbered(index: number): string {
  const head = `${index}:`;
  return head + 'x'.repeat(200 - head.length);
}

const indexOf = (text: string): number => Number(text.slice(0, text.indexOf(':')));

describe('broadcast: frame once, the same Buffers to every server transport', () => {
  test('every server transport is handed the prepared frame objects; every client reads the message', async () => {
    const pairs = Array.from({ length: 5 }, () => recordedPair());
    const payload = Buffer.alloc(4096, 7); // over 2 KiB: header + the payload Buffer itself
    const prepared = prepareMessage(payload);
    const result = broadcast(
      pairs.map((pair) => pair.server),
      prepared,
    );
    assert.deepEqual(result, { sent: 5, dropped: 0, closed: 0 });
    for (const pair of pairs) {
      const message = await pair.client.read();
      assert.equal(message.type, 'binary');
      assert.ok(Buffer.from(message.data).equals(payload));
      assert.equal(pair.written.length, 2);
      assert.equal(pair.written[0], prepared.frames[0], 'the header Buffer, not a copy');
      assert.equal(pair.written[1], payload, 'the payload Buffer, not a copy');
    }
    const small = prepareMessage('tick');
    broadcast(
      pairs.map((pair) => pair.server),
      small,
    );
    for (const pair of pairs) {
      assert.equal((await pair.client.read()).data, 'tick');
      assert.equal(pair.written[2], small.frames[0]);
    }
    await closeAll(pairs);
  });

  test('raw data is prepared once; closed connections are counted, not thrown at', async () => {
    const pairs = [recordedPair(), recordedPair(), recordedPair()];
    await pairs[2]?.server.close();
    const result = broadcast(
      pairs.map((pair) => pair.server),
      'hello',
    );
    assert.deepEqual(result, { sent: 2, dropped: 0, closed: 1 });
    assert.equal((await pairs[0]?.client.read())?.data, 'hello');
    assert.equal((await pairs[1]?.client.read())?.data, 'hello');
    assert.equal(pairs[0]?.written.at(-1), pairs[1]?.written.at(-1), 'one frame for both');
    await closeAll(pairs);
  });
});

describe('slow-consumer policies', () => {
  test("'drop-newest': a paused peer gets what was queued under the bound; the fast peer gets everything", async () => {
    const slow = connectionPair({ server: { maxBufferedBytes: 1000 }, pipe: { highWaterMark: 1 } });
    const fast = connectionPair({ server: { maxBufferedBytes: 1000 } });
    slow.client.pause();
    const drops: [DropReason, number, number][] = [];
    slow.server.onDrop((reason, messages, bytes) => drops.push([reason, messages, bytes]));
    let sent = 0;
    let dropped = 0;
    const fastReceived = readTexts(fast.client, 20);
    for (let index = 0; index < 20; index++) {
      const result = broadcast([slow.server, fast.server], numbered(index), { backpressure: 'drop-newest' });
      sent += result.sent;
      dropped += result.dropped;
      assert.ok(slow.server.bufferedAmount <= 1000 + 204, 'never more than one message over the bound');
      await macrotask();
    }
    // 204-byte frames: five reach 1020 bytes, over the 1000-byte bound; the other fifteen are dropped.
    assert.equal(dropped, 15);
    assert.equal(sent, 25);
    assert.deepEqual(slow.server.stats, {
      messagesDropped: 15,
      bytesDropped: 15 * 204,
      messagesReplaced: 0,
      pongsCoalesced: 0,
    });
    assert.equal(drops.length, 15);
    assert.deepEqual(drops[0], ['drop-newest', 1, 204]);
    assert.equal((await fastReceived).map(indexOf).join(), [...Array(20).keys()].join());
    slow.client.resume();
    assert.deepEqual((await readTexts(slow.client, 5)).map(indexOf), [0, 1, 2, 3, 4]);
    assert.equal(fast.server.stats.messagesDropped, 0);
    await closeAll([slow, fast]);
  });

  test("'drop-oldest': the peer gets what was in the transport, then the newest; whole messages only", async () => {
    const { client, server } = connectionPair({
      server: { maxBufferedBytes: 1000, backpressure: 'drop-oldest' },
      pipe: { highWaterMark: 1 },
    });
    client.pause();
    let dropEvents = 0;
    server.onDrop((reason) => {
      assert.equal(reason, 'drop-oldest');
      dropEvents++;
    });
    server.send(numbered(0));
    await macrotask(); // message 0 is in the transport now: out of the policy's reach
    let maxBuffered = 0;
    for (let index = 1; index < 40; index++) {
      server.send(numbered(index));
      maxBuffered = Math.max(maxBuffered, server.bufferedAmount);
    }
    assert.ok(maxBuffered <= 1000 + 204, `bounded (${maxBuffered})`);
    const { messagesDropped, bytesDropped } = server.stats;
    assert.ok(messagesDropped > 0 && dropEvents > 0);
    assert.equal(bytesDropped, messagesDropped * 204);
    client.resume();
    void server.close();
    const { messages } = await drain(client);
    const received = messages.map(indexOf);
    assert.equal(received[0], 0);
    assert.equal(received.at(-1), 39, 'the newest is never the one dropped');
    assert.ok(
      received.every((value, index) => index === 0 || value > (received[index - 1] as number)),
      'in order, no duplicates',
    );
    assert.ok(
      messages.every((text) => text.length === 200),
      'every message arrived whole',
    );
    assert.equal(received.length + messagesDropped, 40);
    assert.deepEqual(
      received.slice(1),
      [...Array(received.length - 1).keys()].map((i) => 40 - received.length + 1 + i),
    );
  });

  test("'drop-oldest' never evicts compressed messages (the peer's inflate context needs them)", async () => {
    const { client, server } = connectionPair({
      both: { extension: new InvertingExtension() },
      server: { maxBufferedBytes: 1000, backpressure: 'drop-oldest' },
      pipe: { highWaterMark: 1 },
    });
    client.pause();
    server.send(numbered(0), { compress: false });
    await macrotask();
    for (let index = 1; index < 30; index++) server.send(numbered(index), { compress: index % 3 === 0 });
    client.resume();
    void server.close();
    const received = (await drain(client)).messages.map(indexOf);
    for (let index = 3; index < 30; index += 3)
      assert.ok(received.includes(index), `compressed ${index} kept`);
    assert.equal(received.length + server.stats.messagesDropped, 30);
    assert.ok(server.stats.messagesDropped > 0);
  });

  test("'drop-oldest' leaves a streamed message whole and evicts messages waiting behind it", async () => {
    const { client, server } = connectionPair({
      server: { maxBufferedBytes: 1000, backpressure: 'drop-oldest' },
      pipe: { highWaterMark: 1 },
    });
    client.pause();
    const writer = server.writeStream('text').getWriter();
    const streamed = (async () => {
      await writer.write('a'.repeat(600));
      await writer.write('b'.repeat(600));
      await writer.close();
    })();
    await macrotask();
    for (let index = 0; index < 20; index++) server.send(numbered(index));
    assert.ok(server.stats.messagesDropped > 0, 'messages behind the stream writer were evicted');
    client.resume();
    const first = await client.read();
    assert.equal(first.data, 'a'.repeat(600) + 'b'.repeat(600), 'the streamed message arrived whole');
    await streamed;
    void server.close();
    const received = (await drain(client)).messages.map(indexOf);
    assert.equal(received.at(-1), 19);
    assert.equal(received.length + server.stats.messagesDropped, 20);
  });

  test("'latest-by-key': after the peer resumes it gets only the newest value per key, in first-queued order", async () => {
    const { client, server } = connectionPair({ pipe: { highWaterMark: 1 } });
    client.pause();
    const options = (key: string) => ({ backpressure: 'latest-by-key' as const, key });
    for (const symbol of ['A', 'B', 'C']) server.send(`${symbol}=0`, options(symbol));
    await macrotask(); // the first prices are in the transport
    for (let price = 1; price <= 9; price++) {
      for (const symbol of ['A', 'B', 'C']) server.send(`${symbol}=${price}`, options(symbol));
      if (price === 5) server.send('news'); // no key: never replaced
    }
    assert.deepEqual(server.stats, {
      messagesDropped: 24,
      messagesReplaced: 24,
      bytesDropped: 24 * 5,
      pongsCoalesced: 0,
    });
    client.resume();
    void server.close();
    const { messages } = await drain(client);
    assert.deepEqual(messages, ['A=0', 'B=0', 'C=0', 'A=9', 'B=9', 'C=9', 'news']);
  });

  test("'latest-by-key' per send, broadcast with a prepared message: same key replaced, others untouched", async () => {
    const slow = recordedPair({}, { highWaterMark: 1 });
    slow.client.pause();
    slow.server.send('warm-up');
    await macrotask();
    const first = prepareMessage('BTC=1');
    const second = prepareMessage('BTC=2');
    broadcast([slow.server], first, { backpressure: 'latest-by-key', key: 'BTC' });
    broadcast([slow.server], prepareMessage('ETH=1'), { backpressure: 'latest-by-key', key: 'ETH' });
    const result = broadcast([slow.server], second, { backpressure: 'latest-by-key', key: 'BTC' });
    assert.deepEqual(result, { sent: 1, dropped: 0, closed: 0 });
    slow.client.resume();
    assert.deepEqual(await readTexts(slow.client, 3), ['warm-up', 'BTC=2', 'ETH=1']);
    assert.ok(
      slow.written.includes(second.frames[0] as Buffer),
      'the replacement is the prepared frame itself',
    );
    assert.ok(!slow.written.includes(first.frames[0] as Buffer));
    await closeAll([slow]);
  });

  test("'close' per send closes a peer over its bound with the configured code", async () => {
    const { client, server } = connectionPair({
      server: { maxBufferedBytes: 300, backpressureCloseCode: 1008 },
      pipe: { highWaterMark: 1 },
    });
    client.pause();
    assert.equal(server.send(numbered(0)), true);
    await macrotask(); // message 0 is in the transport
    assert.equal(server.send(numbered(1)), false, "'wait' by default: queued over the bound");
    const result = broadcast([server], numbered(2), { backpressure: 'close' });
    assert.deepEqual(result, { sent: 0, dropped: 0, closed: 1 });
    assert.throws(() => server.send('more'), ConnectionClosedError);
    client.resume();
    const { messages, code } = await drain(client);
    assert.deepEqual(messages.map(indexOf), [0], 'what reached the transport; the backlog was dropped');
    assert.equal(code, 1008);
    assert.equal((await server.closed).unsentMessages, 1);
  });
});

describe('BufferBudget: a shared cap on queued bytes', () => {
  test('over the budget, a send to a connection over its own bound closes it with 1013; others go on', async () => {
    const budget = new BufferBudget(3000);
    const slow = connectionPair({ server: { maxBufferedBytes: 1000, budget }, pipe: { highWaterMark: 1 } });
    const well = connectionPair({ server: { maxBufferedBytes: 1000, budget } });
    assert.equal(budget.size, 2);
    slow.client.pause();
    slow.server.send(numbered(0));
    await macrotask(); // in the transport, not counted by the budget
    assert.equal(budget.used, 0);
    for (let index = 1; index <= 15; index++) slow.server.send(numbered(index));
    assert.equal(budget.used, 15 * 204);
    assert.equal(budget.exceeded, true);
    assert.equal(well.server.send('still fine'), true, 'a connection under its own bound is not touched');
    assert.equal((await well.client.read()).data, 'still fine');
    assert.throws(() => slow.server.send(numbered(16)), ConnectionClosedError);
    assert.ok(budget.used < 100, 'the backlog was released (only the Close frame is held)');
    slow.client.resume();
    const { messages, code } = await drain(slow.client);
    assert.deepEqual(messages.map(indexOf), [0]);
    assert.equal(code, 1013);
    assert.equal((await slow.server.closed).unsentMessages, 15);
    await closeAll([well]);
    assert.equal(budget.used, 0);
    assert.equal(budget.size, 0);
  });

  test("overflow 'drop-newest' drops (and counts) instead of closing", async () => {
    const budget = new BufferBudget(500, { overflow: 'drop-newest' });
    const { client, server } = connectionPair({
      server: { maxBufferedBytes: 400, budget },
      pipe: { highWaterMark: 1 },
    });
    client.pause();
    const reasons: DropReason[] = [];
    server.onDrop((reason) => reasons.push(reason));
    server.send(numbered(0));
    await macrotask();
    for (let index = 1; index < 10; index++) server.send(numbered(index));
    assert.equal(server.readyState, 'open');
    // 1 goes under the bound; 2 and 3 are over it but the budget is not exceeded yet (408 <= 500).
    assert.equal(server.stats.messagesDropped, 6, 'then the budget is exceeded: 4 to 9 are dropped');
    assert.deepEqual(new Set(reasons), new Set(['budget']));
    client.resume();
    void server.close();
    assert.deepEqual((await drain(client)).messages.map(indexOf), [0, 1, 2, 3]);
  });

  test('shedLargest closes the biggest holders until the budget is met', async () => {
    const budget = new BufferBudget(1100);
    const pairs = [0, 1, 2].map(() => connectionPair({ server: { budget }, pipe: { highWaterMark: 1 } }));
    for (const pair of pairs) {
      pair.client.pause();
      pair.server.send('first');
      await macrotask();
    }
    const sizes = [300, 1500, 700];
    for (const [index, pair] of pairs.entries()) pair.server.send(Buffer.alloc(sizes[index] as number));
    assert.equal(budget.exceeded, true);
    assert.equal(budget.used, 304 + 1504 + 704);
    assert.equal(budget.shedLargest(), 1, 'the 1500-byte holder alone brings it under (its Close is held)');
    assert.equal(pairs[1]?.server.readyState, 'closing');
    assert.equal(pairs[0]?.server.readyState, 'open');
    assert.equal(budget.exceeded, false);
    pairs[1]?.client.resume();
    assert.equal((await pairs[1]?.client.closed)?.code, 1013);
    await closeAll(pairs);
    assert.equal(budget.used, 0);
  });
});

describe('hot path', () => {
  test("'wait' with an uncongested peer: no drops, nothing counted, until() bounded", async () => {
    const { client, server } = connectionPair();
    const received: string[] = [];
    client.onMessage((message) => received.push(message.data as string));
    for (let index = 0; index < 100; index++) server.send(`m${index}`);
    await until(() => received.length === 100);
    assert.deepEqual(server.stats, {
      messagesDropped: 0,
      bytesDropped: 0,
      messagesReplaced: 0,
      pongsCoalesced: 0,
    });
    await closeAll([{ client, server } as ConnectionPair]);
  });
});
