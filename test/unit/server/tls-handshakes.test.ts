// TlsHandshakes (src/server/tls-handshakes.ts) over an AdmissionTable on a fake clock, with fake
// sockets: admission before TLS starts, one deadline from TCP accept (what is left of it goes on to
// the request head), and every failure counted once whatever order Node reports the teardown in.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Server as NetServer, Socket } from 'node:net';
import { describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { AdmissionTable, type PendingEntry } from '../../../src/server/admission-table.js';
import { type TlsAdmission, TlsHandshakes } from '../../../src/server/tls-handshakes.js';
import { FakeClock } from '../../helpers/fake-clock.js';

class FakeSocket extends EventEmitter {
  destroyed = false;
  bytesRead = 0;
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close', false);
  }
}

/** What tls.Server hands over at the end of a handshake: a TLSSocket over the TCP socket. */
function tlsSocketOver(tcp: FakeSocket): TLSSocket & { destroyed: boolean } {
  const socket = { _parent: tcp, destroyed: false, destroy: () => {} };
  socket.destroy = () => {
    socket.destroyed = true;
  };
  return socket as unknown as TLSSocket & { destroyed: boolean };
}

function timeoutError(): Error {
  return Object.assign(new Error('TLS handshake timeout'), { code: 'ERR_TLS_HANDSHAKE_TIMEOUT' });
}

function hangUp(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

type Entry = PendingEntry<Socket>;

function setUp(timeout = 10_000, limit = 2, firstByteTimeout = timeout) {
  const clock = new FakeClock();
  const counts = { timeouts: 0, errors: 0, turnedAway: 0 };
  let handshakes: TlsHandshakes<Entry> | undefined;
  // The server's side: the table expires an entry, the server counts it and has the socket dropped.
  const table = new AdmissionTable<Socket>(
    { maxPending: limit, maxPerAddress: Number.POSITIVE_INFINITY, timeout, firstByteTimeout },
    {
      expired: (socket) => {
        counts.timeouts++;
        handshakes?.drop(socket);
      },
      evicted: (socket) => handshakes?.drop(socket),
      heard: (socket) => socket.bytesRead > 0,
    },
    clock,
  );
  const admission: TlsAdmission<Entry> = {
    admit: (socket) => {
      // One address for all: the table never evicts one of these for another.
      const entry = table.admit(socket, '127.0.0.1', 'tls');
      if (typeof entry !== 'string') return entry;
      counts.turnedAway++;
      return undefined;
    },
    leave: (entry) => table.leave(entry),
    onTimeout: () => {
      counts.timeouts++;
    },
    onError: () => {
      counts.errors++;
    },
  };
  handshakes = new TlsHandshakes(admission);
  // Stands in for tls.Server, whose own 'connection' listener starts TLS on each socket.
  const server = new EventEmitter();
  const startedTls: FakeSocket[] = [];
  server.on('connection', (socket: FakeSocket) => startedTls.push(socket));
  handshakes.guard(server as unknown as NetServer);
  const accept = (): FakeSocket => {
    const socket = new FakeSocket();
    server.emit('connection', socket as unknown as Socket);
    return socket;
  };
  /** What is left of an entry's deadline once `finish` handed it on (undefined: not handed on). */
  const finish = (socket: TLSSocket): number | undefined => {
    const entry = handshakes?.finish(socket);
    return entry === undefined ? undefined : Math.max(0, entry.deadline - clock.now());
  };
  return { clock, counts, handshakes, table, server, startedTls, accept, finish };
}

describe('TlsHandshakes', () => {
  test('admits up to the limit; a socket past it is destroyed before TLS starts on it', () => {
    const { counts, handshakes, table, startedTls, accept } = setUp(10_000, 2);
    const first = accept();
    const second = accept();
    const third = accept();
    assert.deepEqual(startedTls, [first, second]);
    assert.equal(third.destroyed, true);
    assert.equal(counts.turnedAway, 1);
    assert.equal(handshakes.size, 2);
    first.destroy();
    assert.equal(handshakes.size, 1, 'a closed socket frees its slot');
    assert.equal(table.size, 1, 'in the admission table too');
    const fourth = accept();
    assert.equal(fourth.destroyed, false);
    assert.equal(startedTls.at(-1), fourth);
  });

  test('a TLS handshake past its deadline is destroyed and counted once', () => {
    const { clock, counts, handshakes, server, accept } = setUp(10_000);
    const socket = accept();
    clock.advance(9_999);
    assert.equal(socket.destroyed, false);
    clock.advance(1);
    assert.equal(socket.destroyed, true);
    assert.equal(counts.timeouts, 1);
    assert.equal(handshakes.size, 0);
    // Node then reports the teardown of the TLSSocket: not a failure of its own.
    server.emit('tlsClientError', hangUp(), tlsSocketOver(socket));
    assert.deepEqual(counts, { timeouts: 1, errors: 0, turnedAway: 0 });
  });

  test('finish hands the socket on with what is left of the deadline, and stops the TLS deadline', () => {
    const { clock, counts, handshakes, table, accept, finish } = setUp(10_000);
    const socket = accept();
    clock.advance(7_000);
    assert.equal(finish(tlsSocketOver(socket)), 3_000);
    assert.equal(table.size, 1, 'the slot goes on with the socket');
    assert.equal(handshakes.size, 0);
    // The caller keeps the slot from here (and leaves the table once the 101 is written).
    table.clear();
    clock.advance(60_000);
    assert.equal(socket.destroyed, false, 'an established connection is not cut by the TLS deadline');
    assert.equal(counts.timeouts, 0);
    socket.destroy();
    assert.equal(handshakes.size, 0);
  });

  test('finish returns 0 when the deadline passed meanwhile, and undefined for a socket it never saw', () => {
    const { clock, accept, finish } = setUp(100);
    const socket = accept();
    clock.now = () => 250; // the timer has not run yet (a busy event loop)
    assert.equal(finish(tlsSocketOver(socket)), 0);
    assert.equal(finish(tlsSocketOver(new FakeSocket())), undefined);
  });

  test("Node's own handshake timeout closes the TLSSocket and counts as a timeout, once", () => {
    const { clock, counts, handshakes, server, accept } = setUp(10_000);
    const socket = accept();
    const tls = tlsSocketOver(socket);
    server.emit('tlsClientError', timeoutError(), tls);
    assert.equal(tls.destroyed, true, 'Node leaves it open; the handshakes close it');
    assert.equal(counts.timeouts, 1);
    clock.advance(20_000);
    assert.equal(counts.timeouts, 1, 'our deadline was stopped');
    socket.destroy();
    assert.equal(handshakes.size, 0);
  });

  test('a failed handshake is reported once, whether the TCP close comes before or after', () => {
    const { counts, handshakes, server, accept } = setUp(10_000);
    const before = accept();
    server.emit('tlsClientError', new Error('wrong version number'), tlsSocketOver(before));
    before.destroy();
    const after = accept();
    after.destroy();
    server.emit('tlsClientError', hangUp(), tlsSocketOver(after));
    assert.deepEqual(counts, { timeouts: 0, errors: 2, turnedAway: 0 });
    assert.equal(handshakes.size, 0);
  });

  test('destroyAll closes every handshake without counting failures', () => {
    const { counts, handshakes, table, server, accept } = setUp(10_000);
    const sockets = [accept(), accept()];
    table.clear();
    handshakes.destroyAll();
    assert.equal(handshakes.size, 0);
    for (const socket of sockets) {
      assert.equal(socket.destroyed, true);
      server.emit('tlsClientError', hangUp(), tlsSocketOver(socket));
    }
    assert.deepEqual(counts, { timeouts: 0, errors: 0, turnedAway: 0 });
  });

  test('a socket that sends no byte within the first-byte deadline is closed; one whose ClientHello arrived is not', () => {
    const { clock, counts, handshakes, table, accept } = setUp(10_000, 2, 3_000);
    const silent = accept();
    const speaking = accept();
    speaking.bytesRead = 11;
    clock.advance(3_000);
    assert.equal(silent.destroyed, true);
    assert.equal(speaking.destroyed, false);
    assert.equal(counts.timeouts, 1);
    assert.equal(handshakes.size, 1);
    assert.equal(table.size, 1);
    clock.advance(7_000);
    assert.equal(speaking.destroyed, true, 'the handshake deadline still applies');
    assert.equal(counts.timeouts, 2);
  });
});
