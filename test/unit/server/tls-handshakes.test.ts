// TlsHandshakes (src/server/tls-handshakes.ts) on a fake clock and fake sockets: admission before TLS
// starts, one deadline from TCP accept (what is left of it goes on to the request head), and every
// failure counted once whatever order Node reports the teardown in.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Server as NetServer, Socket } from 'node:net';
import { describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { type TlsAdmission, TlsHandshakes } from '../../../src/server/tls-handshakes.js';
import { FakeClock } from '../../helpers/fake-clock.js';

class FakeSocket extends EventEmitter {
  destroyed = false;
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

function setUp(timeout = 10_000, limit = 2) {
  const clock = new FakeClock();
  const counts = { timeouts: 0, errors: 0, turnedAway: 0 };
  let handshakes: TlsHandshakes | undefined;
  const admission: TlsAdmission = {
    admit: () => {
      if ((handshakes?.size ?? 0) < limit) return true;
      counts.turnedAway++;
      return false;
    },
    onTimeout: () => {
      counts.timeouts++;
    },
    onError: () => {
      counts.errors++;
    },
  };
  handshakes = new TlsHandshakes(timeout, admission, clock);
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
  return { clock, counts, handshakes, server, startedTls, accept };
}

describe('TlsHandshakes', () => {
  test('admits up to the limit; a socket past it is destroyed before TLS starts on it', () => {
    const { counts, handshakes, startedTls, accept } = setUp(10_000, 2);
    const first = accept();
    const second = accept();
    const third = accept();
    assert.deepEqual(startedTls, [first, second]);
    assert.equal(third.destroyed, true);
    assert.equal(counts.turnedAway, 1);
    assert.equal(handshakes.size, 2);
    first.destroy();
    assert.equal(handshakes.size, 1, 'a closed socket frees its slot');
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
    const { clock, counts, handshakes, accept } = setUp(10_000);
    const socket = accept();
    clock.advance(7_000);
    assert.equal(handshakes.finish(tlsSocketOver(socket)), 3_000);
    assert.equal(handshakes.size, 0);
    clock.advance(60_000);
    assert.equal(socket.destroyed, false, 'an established connection is not cut by the TLS deadline');
    assert.equal(counts.timeouts, 0);
    socket.destroy();
    assert.equal(handshakes.size, 0);
  });

  test('finish returns 0 when the deadline passed meanwhile, and undefined for a socket it never saw', () => {
    const { clock, handshakes, accept } = setUp(100);
    const socket = accept();
    clock.now = () => 250; // the timer has not run yet (a busy event loop)
    assert.equal(handshakes.finish(tlsSocketOver(socket)), 0);
    assert.equal(handshakes.finish(tlsSocketOver(new FakeSocket())), undefined);
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
    const { counts, handshakes, server, accept } = setUp(10_000);
    const sockets = [accept(), accept()];
    handshakes.destroyAll();
    assert.equal(handshakes.size, 0);
    for (const socket of sockets) {
      assert.equal(socket.destroyed, true);
      server.emit('tlsClientError', hangUp(), tlsSocketOver(socket));
    }
    assert.deepEqual(counts, { timeouts: 0, errors: 0, turnedAway: 0 });
  });
});
