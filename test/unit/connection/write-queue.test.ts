import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BufferBudget } from '../../../src/connection/buffer-budget.js';
import type { Transport, TransportHandler } from '../../../src/connection/transport.js';
import { WriteQueue } from '../../../src/connection/write-queue.js';

/** Records each write as the list of chunk labels; `accept` decides its return value. */
class RecordingTransport implements Transport {
  writes: string[][] = [];
  ended = false;
  accept = true;
  readonly writableLength = 0;
  readonly remoteAddress = undefined;
  readonly remotePort = undefined;
  setHandler(_handler: TransportHandler): void {}
  write(chunks: Buffer[]): boolean {
    this.writes.push(chunks.map((chunk) => chunk.toString()));
    return this.accept;
  }
  pause(): void {}
  resume(): void {}
  end(): void {
    this.ended = true;
  }
  destroy(): void {}
}

function unit(
  queue: WriteQueue,
  kind: 'message' | 'pinned' | 'fragment' | 'close',
  ...parts: string[]
): void {
  let bytes = 0;
  for (const part of parts) {
    queue.data.push(Buffer.from(part));
    bytes += part.length;
  }
  queue.commit(bytes, kind);
}

describe('WriteQueue', () => {
  test('everything queued in a turn leaves in one write, in order', () => {
    const transport = new RecordingTransport();
    const queue = new WriteQueue(transport);
    unit(queue, 'message', 'h1', 'p1');
    unit(queue, 'message', 'h2', 'p2');
    assert.equal(queue.bytes, 8);
    queue.flush();
    assert.deepEqual(transport.writes, [['h1', 'p1', 'h2', 'p2']]);
    assert.equal(queue.bytes, 0);
    queue.flush();
    assert.equal(transport.writes.length, 1, 'nothing queued: no write');
  });

  test('control frames go first; every owed pong goes out, in order', () => {
    const transport = new RecordingTransport();
    const queue = new WriteQueue(transport);
    unit(queue, 'message', 'data');
    queue.control.push(Buffer.from('ping'));
    queue.commitControl(4);
    for (const pong of ['pong1', 'pong2', 'pong3']) {
      queue.pong.push(Buffer.from(pong));
      queue.commitPong(pong.length);
    }
    assert.equal(queue.pongsOwed, 3);
    queue.flush();
    assert.deepEqual(transport.writes, [['ping', 'pong1', 'pong2', 'pong3', 'data']]);
    assert.equal(queue.pongsOwed, 0);
  });

  test("replaceNewestPong: the pong just framed takes the newest owed one's place (its bytes too)", () => {
    const transport = new RecordingTransport();
    const budget = new BufferBudget(1000);
    const queue = new WriteQueue(transport, budget);
    for (const pong of ['p1', 'p2']) {
      queue.pong.push(Buffer.from(pong));
      queue.commitPong(pong.length);
    }
    queue.pong.push(Buffer.from('p333'));
    queue.replaceNewestPong();
    queue.commitPong(4);
    assert.equal(queue.bytes, 6);
    assert.equal(budget.used, 6);
    queue.flush();
    assert.deepEqual(transport.writes, [['p1', 'p333']]);
  });

  test('while congested nothing is written; after drain, control overtakes held data and units stay whole', () => {
    const transport = new RecordingTransport();
    const queue = new WriteQueue(transport);
    transport.accept = false;
    unit(queue, 'message', 'A');
    queue.flush();
    assert.ok(queue.congested);
    unit(queue, 'message', 'B-head', 'B-body');
    unit(queue, 'fragment', 'C');
    queue.pong.push(Buffer.from('pong'));
    queue.commitPong(4);
    queue.flush();
    assert.equal(transport.writes.length, 1);
    transport.accept = true;
    queue.onDrain();
    queue.flush();
    assert.deepEqual(transport.writes, [['A'], ['pong', 'B-head', 'B-body', 'C']]);
  });

  test('held data leaves in batches of whole units, so later control frames can still overtake', () => {
    const transport = new RecordingTransport();
    const queue = new WriteQueue(transport);
    transport.accept = false;
    unit(queue, 'message', 'first');
    queue.flush();
    const big = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 4; i++) unit(queue, 'message', `${i}`, big);
    queue.onDrain();
    queue.flush(); // the transport refuses again after the first batch
    assert.equal(transport.writes.length, 2);
    assert.deepEqual(
      transport.writes[1]?.map((chunk) => chunk.slice(0, 1)),
      ['0', 'x', '1', 'x'],
    );
    queue.control.push(Buffer.from('ping'));
    queue.commitControl(4);
    transport.accept = true;
    queue.onDrain();
    queue.flush();
    assert.deepEqual(
      transport.writes[2]?.map((chunk) => chunk.slice(0, 4)),
      ['ping', '2', 'xxxx', '3', 'xxxx'],
    );
    assert.equal(queue.bytes, 0);
  });

  test('dropData keeps Close frames and counts the whole messages dropped', () => {
    const transport = new RecordingTransport();
    const queue = new WriteQueue(transport);
    transport.accept = false;
    unit(queue, 'message', 'sent');
    queue.flush();
    unit(queue, 'message', 'm1');
    unit(queue, 'fragment', 'f1');
    unit(queue, 'message', 'f2');
    unit(queue, 'close', 'close');
    assert.equal(queue.dropData(), 2);
    assert.equal(queue.bytes, 5);
    transport.accept = true;
    queue.onDrain();
    queue.flush();
    assert.deepEqual(transport.writes, [['sent'], ['close']]);
  });

  test('endAfterFlush sends FIN once everything is handed over, even to a congested transport', () => {
    const transport = new RecordingTransport();
    const queue = new WriteQueue(transport);
    transport.accept = false;
    unit(queue, 'message', 'A');
    queue.flush();
    unit(queue, 'close', 'close');
    queue.endAfterFlush();
    queue.flush();
    assert.equal(transport.ended, false, 'the Close is still held here');
    queue.onDrain();
    queue.flush();
    assert.deepEqual(transport.writes, [['A'], ['close']]);
    assert.equal(transport.ended, true, 'congested again, but nothing is left here: FIN');
    assert.equal(queue.ended, true);
  });

  test('clear counts unsent messages and forgets everything', () => {
    const transport = new RecordingTransport();
    const queue = new WriteQueue(transport);
    unit(queue, 'message', 'a');
    unit(queue, 'fragment', 'b');
    unit(queue, 'close', 'c');
    assert.equal(queue.clear(), 1);
    assert.equal(queue.bytes, 0);
    queue.flush();
    assert.deepEqual(transport.writes, []);
  });

  test('dropOldest drops whole messages from the head, never fragments, pinned messages or Close', () => {
    const transport = new RecordingTransport();
    const queue = new WriteQueue(transport);
    transport.accept = false;
    unit(queue, 'message', 'sent');
    queue.flush(); // handed to the transport: out of reach
    unit(queue, 'fragment', 'F1');
    unit(queue, 'pinned', 'F2');
    unit(queue, 'message', 'm1', 'x');
    unit(queue, 'pinned', 'z1');
    unit(queue, 'message', 'm2');
    unit(queue, 'message', 'm3');
    assert.equal(queue.dropOldest(4), 5, 'm1 (3 bytes) then m2: whole units until 4 bytes are freed');
    assert.equal(queue.lastDropCount, 2);
    assert.equal(queue.dropOldest(100), 2, 'only m3 is left to drop');
    assert.equal(queue.lastDropCount, 1);
    assert.equal(queue.dropOldest(100), 0);
    assert.equal(queue.bytes, 6);
    transport.accept = true;
    queue.onDrain();
    queue.flush();
    assert.deepEqual(transport.writes, [['sent'], ['F1', 'F2', 'z1']]);
  });

  test('dropped head units are passed over, so a peer that never drains does not grow the queue', () => {
    const transport = new RecordingTransport();
    const queue = new WriteQueue(transport);
    transport.accept = false;
    unit(queue, 'message', 'sent');
    queue.flush();
    for (let i = 0; i < 10_000; i++) {
      unit(queue, 'message', `m${i}`);
      if (queue.bytes > 20) queue.dropOldest(queue.bytes - 20);
    }
    assert.ok(queue.bytes <= 20);
    assert.ok(queue.data.length < 2100, `the data lane was compacted (${queue.data.length} entries)`);
    transport.accept = true;
    queue.onDrain();
    queue.flush();
    assert.deepEqual(transport.writes[1], ['m9996', 'm9997', 'm9998', 'm9999'], '20 bytes: the newest four');
  });

  test('replaceKeyed keeps the position; a different frame count moves the message to the tail', () => {
    const transport = new RecordingTransport();
    const queue = new WriteQueue(transport);
    transport.accept = false;
    queue.data.push(Buffer.from('A0'));
    queue.commitKeyed(2, 'A');
    queue.flush(); // A0 is in the transport: no longer replaceable
    assert.equal(queue.hasKeyed('A'), false);
    queue.data.push(Buffer.from('A1'));
    queue.commitKeyed(2, 'A');
    queue.data.push(Buffer.from('B1'));
    queue.commitKeyed(2, 'B');
    unit(queue, 'message', 'plain');
    assert.equal(queue.replaceKeyed('A', [Buffer.from('A2!')], 3), 2, 'A1 replaced in its place');
    assert.equal(queue.replaceKeyed('B', [Buffer.from('B2-head'), Buffer.from('B2-body')], 14), 2);
    assert.equal(queue.replaceKeyed('C', [Buffer.from('C1')], 2), -1, 'nothing queued with C');
    assert.equal(queue.bytes, 3 + 5 + 14);
    transport.accept = true;
    queue.onDrain();
    queue.flush();
    assert.deepEqual(transport.writes, [['A0'], ['A2!', 'plain', 'B2-head', 'B2-body']]);
  });

  test('a shared BufferBudget follows the bytes held here', () => {
    const budget = new BufferBudget(10);
    const transport = new RecordingTransport();
    const queue = new WriteQueue(transport, budget);
    transport.accept = false;
    unit(queue, 'message', 'first');
    assert.equal(budget.used, 5);
    queue.flush();
    assert.equal(budget.used, 0, 'handed to the transport: no longer held here');
    unit(queue, 'message', 'aaaa');
    unit(queue, 'message', 'bbbb');
    queue.control.push(Buffer.from('ping'));
    queue.commitControl(4);
    queue.pong.push(Buffer.from('pong'));
    queue.commitPong(4);
    assert.equal(budget.used, 16);
    assert.equal(budget.exceeded, true);
    queue.dropOldest(1);
    assert.equal(budget.used, 12);
    queue.data.push(Buffer.from('k1'));
    queue.commitKeyed(2, 'k');
    queue.replaceKeyed('k', [Buffer.from('k22')], 3);
    assert.equal(budget.used, 15);
    unit(queue, 'close', 'close');
    queue.dropData();
    assert.equal(budget.used, 13, 'the Close and the control lane stay');
    queue.clear();
    assert.equal(budget.used, 0);
  });
});
