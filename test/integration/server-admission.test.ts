// Issue 5, admission control and the process-wide memory budget, over real sockets: 503 with
// Retry-After past maxConnections, past maxPendingHandshakes (before any byte is parsed) and while
// over memoryBudget; 1013 for the connections over their own bound that hold the budget; recovery.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import type { Connection } from '../../src/connection/connection.js';
import { NEWCOMER_GRACE } from '../../src/server/admission-table.js';
import type { WebSocketServerOptions } from '../../src/server/server-options.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { openRaw, rawRequest, readHead, readUntilClosed, upgradeRequest } from '../helpers/raw-http.js';

const MiB = 1024 * 1024;

const servers: WebSocketServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close({ timeout: 100 })));
});

async function start(
  options: WebSocketServerOptions,
): Promise<{ server: WebSocketServer; port: number; accepted: Connection[] }> {
  const accepted: Connection[] = [];
  const server = new WebSocketServer({ ...options, onConnection: (connection) => accepted.push(connection) });
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, accepted };
}

/** A raw client that completed the handshake and then reads nothing (its socket is paused). */
async function upgraded(port: number): Promise<Socket> {
  const socket = await openRaw(port);
  sockets.push(socket);
  socket.write(upgradeRequest());
  const { answer } = await readHead(socket);
  assert.equal(answer.status, 101);
  return socket;
}

/** Polls `condition` every 10 ms, at most `rounds` times. */
async function until(condition: () => boolean, what: string, rounds = 300): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`${what}: not reached`);
}

function assertBusy(
  answer: { status: number; headers: Record<string, string>; body: string },
  why: RegExp,
): void {
  assert.equal(answer.status, 503);
  assert.equal(answer.headers['retry-after'], '5');
  assert.match(answer.body, why);
}

describe('maxConnections', () => {
  test('past the limit an upgrade gets 503 with Retry-After and a body saying why; a freed slot is reused', async () => {
    const { server, port } = await start({ maxConnections: 2 });
    const first = await upgraded(port);
    await upgraded(port);
    assertBusy(await rawRequest(port, upgradeRequest()), /too many connections \(maxConnections\)/);
    assert.equal(server.stats.overConnectionLimit, 1);
    assert.equal(server.stats.refused, 1);
    assert.equal(server.stats.connections, 2);

    first.destroy();
    await until(() => server.connections.size === 1, 'the closed connection is forgotten');
    await upgraded(port);
    assert.equal(server.stats.upgrades, 3);
  });

  test('counts the connections of every entry point and rejects a bad value', () => {
    assert.throws(() => new WebSocketServer({ maxConnections: 0 }), { code: 'ERR_INVALID_ARGUMENT' });
    assert.throws(() => new WebSocketServer({ maxPendingHandshakes: 1.5 }), { code: 'ERR_INVALID_ARGUMENT' });
    assert.throws(() => new WebSocketServer({ memoryBudget: -1 }), { code: 'ERR_INVALID_ARGUMENT' });
    assert.doesNotThrow(() => new WebSocketServer({ maxConnections: Number.POSITIVE_INFINITY }));
  });
});

describe('maxPendingHandshakes', () => {
  test('sockets that never send a request fill the slots; the next socket is answered 503 at once and closed', async () => {
    // No first-byte deadline within the test: the silent sockets must keep their slots throughout.
    const { server, port } = await start({ maxPendingHandshakes: 3, firstByteTimeout: 60_000 });
    const silent: Socket[] = [];
    for (let index = 0; index < 3; index++) {
      const socket = await openRaw(port);
      sockets.push(socket);
      silent.push(socket);
    }
    await until(() => server.stats.pendingHandshakes === 3, 'three handshakes in flight');

    // The fourth sends nothing either: the answer does not wait for a request.
    const fourth = await openRaw(port);
    sockets.push(fourth);
    const answer = await readUntilClosed(fourth, 2000);
    assertBusy(answer, /too many handshakes in progress \(maxPendingHandshakes\)/);
    assert.equal(server.stats.overHandshakeLimit, 1);
    assert.equal(server.stats.pendingHandshakes, 3, 'the turned-away socket was never tracked');

    // The sockets holding the slots are still served, and a slot freed is a slot reused.
    const [one, two] = silent as [Socket, Socket];
    one.write(upgradeRequest());
    assert.equal((await readHead(one)).answer.status, 101);
    two.destroy();
    await until(() => server.stats.pendingHandshakes === 1, 'slots freed');
    await upgraded(port);
    assert.equal(server.stats.upgrades, 2);
  });

  test('handleUpgrade callers are held to the same limit', async () => {
    const server = new WebSocketServer({ maxPendingHandshakes: 1, authorize: () => new Promise(() => {}) });
    servers.push(server);
    const { createServer } = await import('node:http');
    const http = createServer();
    server.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as { port: number };
    try {
      const held = await openRaw(port);
      sockets.push(held);
      held.write(upgradeRequest()); // authorize never settles: this one holds the only slot
      await until(() => server.stats.pendingHandshakes === 1, 'one handshake in flight');
      assertBusy(await rawRequest(port, upgradeRequest()), /maxPendingHandshakes/);
    } finally {
      http.closeAllConnections();
      http.close();
    }
  });
});

/** A raw socket from a given loopback source address (127.0.0.0/8 is all loopback on Linux). */
function openFrom(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    sockets.push(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('admission under attack: per-address cap, eviction, first-byte deadline', () => {
  test('maxPendingHandshakesPerAddress: one address past its cap gets 503 at once; another address is served', async () => {
    const { server, port } = await start({ maxPendingHandshakesPerAddress: 2 });
    await openFrom(port, '127.0.0.2');
    await openFrom(port, '127.0.0.2');
    await until(() => server.stats.pendingHandshakes === 2, 'two handshakes in flight');
    const third = await openFrom(port, '127.0.0.2');
    assertBusy(await readUntilClosed(third, 2000), /from your address \(maxPendingHandshakesPerAddress\)/);
    assert.equal(server.stats.overAddressLimit, 1);
    assert.equal(server.stats.overHandshakeLimit, 0);
    await upgraded(port); // from 127.0.0.1
    assert.throws(() => new WebSocketServer({ maxPendingHandshakesPerAddress: 0 }), {
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  test('a full table: the newcomer displaces the oldest silent socket of another address (503), then a partial head before a newcomer', async () => {
    const { server, port } = await start({ maxPendingHandshakes: 3 });
    const oldest = await openFrom(port, '127.0.0.2');
    await until(() => server.stats.pendingHandshakes === 1, 'the first in flight');
    const partial = await openFrom(port, '127.0.0.3');
    partial.write('GET / HTTP/1.1\r\n'); // part of a head: more advanced than a silent socket
    const silent = await openFrom(port, '127.0.0.3');
    await until(() => server.stats.pendingHandshakes === 3, 'three in flight');
    // Past the grace of a second, a silent socket is no longer a newcomer: it goes first.
    await new Promise((resolve) => setTimeout(resolve, NEWCOMER_GRACE + 100));
    const evicted = readUntilClosed(oldest, 2000);
    await upgraded(port); // from 127.0.0.1: takes the slot of `oldest`
    assertBusy(await evicted, /maxPendingHandshakes/);
    assert.equal(server.stats.evicted, 1);

    // Full again with a newcomer: the older silent socket goes first.
    const fresh = await openFrom(port, '127.0.0.4');
    await until(() => server.stats.pendingHandshakes === 3, 'full again');
    const silentAnswer = readUntilClosed(silent, 2000);
    await upgraded(port);
    assert.equal((await silentAnswer).status, 503);
    // Full again with two newcomers and the partial head: the partial head goes before a newcomer.
    await openFrom(port, '127.0.0.5');
    await until(() => server.stats.pendingHandshakes === 3, 'full with a partial head and two newcomers');
    const partialAnswer = readUntilClosed(partial, 2000);
    await upgraded(port);
    assert.equal((await partialAnswer).status, 503);
    assert.equal(fresh.destroyed, false);
    assert.equal(server.stats.evicted, 3);
    assert.equal(server.stats.upgrades, 3);
    assert.equal(server.stats.pendingHandshakes, 2);
  });

  test('firstByteTimeout: a socket that sends nothing gets 408 well before handshakeTimeout', async () => {
    const { server, port } = await start({ firstByteTimeout: 200, handshakeTimeout: 60_000 });
    const silent = await openFrom(port, '127.0.0.2');
    const speaking = await openFrom(port, '127.0.0.2');
    speaking.write('GET / HTTP/1.1\r\n');
    const answer = await readUntilClosed(silent, 10_000);
    assert.equal(answer.status, 408);
    assert.match(answer.body, /no request arrived in time/);
    assert.equal(server.stats.timeouts, 1);
    assert.equal(server.stats.pendingHandshakes, 1, 'the socket that spoke keeps its slot');
    speaking.write(upgradeRequest().slice('GET / HTTP/1.1\r\n'.length));
    assert.equal((await readHead(speaking)).answer.status, 101);
  });
});

describe('memoryBudget', () => {
  test('over budget: upgrades get 503; connections over their own bound are closed with 1013; then it recovers', async () => {
    const { server, port, accepted } = await start({
      memoryBudget: 7 * MiB,
      connection: { maxBufferedBytes: 4 * MiB, closeTimeout: 200 },
    });
    const budget = server.memoryBudget;
    assert.ok(budget !== null);
    for (let index = 0; index < 3; index++) await upgraded(port); // three readers that read nothing
    await until(() => accepted.length === 3, 'three connections');
    const readers = [...accepted];

    // The sender: each reader is kept at about 3 MiB queued, under its own 4 MiB bound, until the
    // kernel buffers are full and the queues hold the rest: 3 x ~3 MiB is over the 7 MiB budget.
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    for (let round = 0; round < 300 && !budget.exceeded; round++) {
      for (const reader of readers) {
        for (let sends = 0; sends < 64 && reader.bufferedAmount < 3 * MiB; sends++) reader.send(chunk);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(budget.exceeded, `budget not exceeded: ${budget.used} bytes held`);
    for (const reader of readers) assert.ok(reader.bufferedAmount <= reader.maxBufferedBytes);
    assert.equal(server.stats.bufferedBytes, budget.used);

    // Nobody is over their own bound, so nobody is shed: the newcomer waits.
    assertBusy(await rawRequest(port, upgradeRequest()), /memory budget \(memoryBudget\)/);
    assert.equal(server.stats.overMemoryBudget, 1);
    assert.equal(server.stats.shedForMemory, 0);
    assert.ok(readers.every((reader) => reader.readyState === 'open'));

    // One reader goes over its own bound: the next upgrade sheds it (1013) and is admitted.
    const [worst, ...others] = readers as [Connection, ...Connection[]];
    worst.send(Buffer.alloc(2 * MiB, 0x62));
    assert.ok(worst.bufferedAmount > worst.maxBufferedBytes);
    await upgraded(port);
    assert.equal(server.stats.shedForMemory, 1);
    assert.equal(budget.exceeded, false);
    const info = await worst.closed;
    assert.equal(info.code, 1013, 'try again later (RFC 6455 7.4.1)');
    assert.equal(info.reason, 'server over its memory budget');
    assert.ok(
      others.every((reader) => reader.readyState === 'open'),
      'readers under their bound stay',
    );

    // A send to a connection over its bound while over budget also closes it with 1013.
    const [second] = others as [Connection];
    second.send(Buffer.alloc(2 * MiB, 0x63)); // now over its bound, and the budget is exceeded again
    assert.ok(budget.exceeded);
    assert.throws(() => second.send('one more'), { name: 'ConnectionClosedError' });
    assert.equal((await second.closed).code, 1013);

    // The readers go away: nothing is held and upgrades are admitted again.
    for (const socket of sockets) socket.destroy();
    await until(() => budget.used === 0 && server.connections.size === 0, 'budget released');
    await upgraded(port);
    assert.equal(server.stats.bufferedBytes, 0);
  });

  test('memoryBudget: 0 turns it off; a budget given in connection.budget is shared as given', async () => {
    assert.equal(new WebSocketServer({ memoryBudget: 0 }).memoryBudget, null);
    assert.equal(new WebSocketServer().memoryBudget?.limit, 256 * MiB);
    const { BufferBudget } = await import('../../src/connection/buffer-budget.js');
    const shared = new BufferBudget(MiB);
    const a = await start({ connection: { budget: shared } });
    const b = await start({ connection: { budget: shared } });
    assert.equal(a.server.memoryBudget, shared);
    await upgraded(a.port);
    await upgraded(b.port);
    await until(() => shared.size === 2, 'both servers joined one budget');
  });
});
