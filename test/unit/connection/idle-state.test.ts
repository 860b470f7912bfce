// State an idle connection does not hold until it is used (issue 14, memory per idle connection): the
// frame writer made by the first frame sent, listeners that get their connection as `this` (so one
// function serves every connection), and heartbeat deadlines kept as whole milliseconds rounded up
// (never early, whatever fraction the clock reads).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Connection } from '../../../src/connection/connection.js';
import { macrotask, rawPair, until } from '../../helpers/connection-pair.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { clientFrame } from '../../helpers/frames.js';

const TEXT = 0x1;
const BINARY = 0x2;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

describe('state made on first use', () => {
  test('a connection that only received can still send, echo a Close and fail with a Close (the writer is made then)', async () => {
    const { connection, peer } = rawPair({ role: 'server' });
    const received: string[] = [];
    connection.onMessage((message) => received.push(message.data as string));
    peer.send(clientFrame({ opcode: TEXT, payload: Buffer.from('first') }));
    await until(() => received.length === 1);
    assert.equal(peer.frames().length, 0, 'nothing sent yet');
    connection.send('reply');
    await until(() => peer.frames().length === 1);
    assert.deepEqual(
      peer.frames().map((frame) => [frame.opcode, frame.payload.toString()]),
      [[TEXT, 'reply']],
    );
    peer.send(clientFrame({ opcode: CLOSE, payload: Buffer.from([0x03, 0xe8]) }));
    await until(() => peer.frames().length === 2);
    const echo = peer.frames()[1];
    assert.equal(echo?.opcode, CLOSE, 'the Close was echoed');
    assert.equal(echo?.payload.readUInt16BE(0), 1000);
    connection.terminate();
  });

  test('a connection that never sent answers a protocol error with its Close (1002)', async () => {
    const { connection, peer } = rawPair({ role: 'server' });
    // Unmasked frame from a client: RFC 6455 5.1 says the server MUST close.
    peer.send(Buffer.from([0x82, 0x01, 0x00]));
    await until(() => peer.frames().some((frame) => frame.opcode === CLOSE));
    const close = peer.frames().find((frame) => frame.opcode === CLOSE);
    assert.equal(close?.payload.readUInt16BE(0), 1002);
    assert.notEqual(connection.readyState, 'open');
    connection.terminate();
  });
});

describe('listeners get their connection as this', () => {
  test('onMessage, onRawMessage, onPing and onPong: one shared function serves every connection', async () => {
    const seen = new Map<string, Connection[]>();
    function record(this: Connection, kind: string): void {
      const list = seen.get(kind) ?? [];
      list.push(this);
      seen.set(kind, list);
    }
    function onMessage(this: Connection): void {
      record.call(this, 'message');
    }
    function onRaw(this: Connection): void {
      record.call(this, 'raw');
    }
    function onPing(this: Connection): void {
      record.call(this, 'ping');
    }
    function onPong(this: Connection): void {
      record.call(this, 'pong');
    }
    const pairs = [rawPair({ role: 'server' }), rawPair({ role: 'server' })];
    for (const { connection } of pairs) {
      connection.onMessage(onMessage);
      connection.onRawMessage(onRaw);
      connection.onPing(onPing);
      connection.onPong(onPong);
    }
    for (const { peer } of pairs) {
      peer.send(clientFrame({ opcode: BINARY, payload: Buffer.from([1, 2, 3]) }));
      peer.send(clientFrame({ opcode: PING }));
      peer.send(clientFrame({ opcode: PONG }));
    }
    await until(() => (seen.get('pong')?.length ?? 0) === 2);
    const expected = pairs.map((pair) => pair.connection);
    for (const kind of ['message', 'raw', 'ping', 'pong'])
      assert.deepEqual(seen.get(kind), expected, `${kind} listener's this`);
  });

  test('several listeners of a kind (the array path) and messages queued before the listener all get it too', async () => {
    const { connection, peer } = rawPair({ role: 'server' });
    peer.send(clientFrame({ opcode: TEXT, payload: Buffer.from('queued') }));
    await macrotask();
    const targets: unknown[] = [];
    function first(this: Connection): void {
      targets.push(this);
    }
    function second(this: Connection): void {
      targets.push(this);
    }
    connection.onMessage(first);
    connection.onMessage(second);
    peer.send(clientFrame({ opcode: TEXT, payload: Buffer.from('live') }));
    // The queued message went to the first listener when it was set; the live one to both.
    await until(() => targets.length === 3);
    assert.ok(targets.every((target) => target === connection));
  });

  test('onDrain gets it', async () => {
    const { connection, peer } = rawPair({
      role: 'server',
      maxBufferedBytes: 16,
      pipe: { highWaterMark: 16 },
    });
    let target: unknown = null;
    connection.onDrain(function (this: Connection) {
      target = this;
    });
    peer.end.pause();
    assert.equal(connection.send(Buffer.alloc(1024)), false);
    await macrotask();
    peer.end.resume();
    await until(() => target !== null);
    assert.equal(target, connection);
  });
});

describe('heartbeat deadlines from a clock with fractions of a millisecond', () => {
  test('the ping is due at the next whole millisecond after pingInterval, never before', async () => {
    const clock = new FakeClock();
    clock.advance(0.25);
    const { connection, peer } = rawPair({
      role: 'server',
      clock,
      heartbeat: { pingInterval: 100, pongTimeout: 50 },
    });
    const pings = (): number => peer.frames().filter((frame) => frame.opcode === PING).length;
    clock.advance(99.75); // now 100: pingInterval after the start would be 100.25
    await macrotask();
    assert.equal(pings(), 0, 'not before pingInterval has passed');
    clock.advance(1); // now 101, the start rounded up plus pingInterval
    await until(() => pings() === 1);
    // No pong: terminated pongTimeout after the ping, not earlier.
    clock.advance(49.5);
    assert.equal(connection.readyState, 'open');
    clock.advance(0.5);
    assert.equal(connection.readyState, 'closed');
    assert.equal((await connection.closed).code, 1006);
    assert.equal(clock.pending, 0, 'no timer left behind');
  });

  test('the idle timeout counts from the last message, rounded up', async () => {
    const clock = new FakeClock();
    const { connection, peer } = rawPair({ role: 'server', clock, idleTimeout: 200 });
    clock.advance(10.5);
    peer.send(clientFrame({ opcode: BINARY, payload: Buffer.from([1]) }));
    connection.onRawMessage(() => {});
    await macrotask();
    clock.advance(199.5); // now 210: 200 after 10.5 would be 210.5
    assert.equal(connection.readyState, 'open');
    clock.advance(1); // 211
    assert.equal(connection.readyState, 'closing');
    await until(() => peer.frames().some((frame) => frame.opcode === CLOSE));
    const close = peer.frames().find((frame) => frame.opcode === CLOSE);
    assert.equal(close?.payload.readUInt16BE(0), 1001);
    connection.terminate();
  });
});
