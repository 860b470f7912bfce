// Admission limits of a wss:// listener (src/server/tls-handshakes.ts), over real sockets: sockets
// still in their TLS handshake hold maxPendingHandshakes slots, a TCP socket past the limit is closed
// before any TLS work, handshakeTimeout closes a TLS handshake that never ends (and bounds TLS and
// the request head together), and the pending count returns to 0 on every path.
import assert from 'node:assert/strict';
import { connect as connectTcp, type Socket } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { connect } from '../../src/client/connect.js';
import type { Connection } from '../../src/connection/connection.js';
import { HandshakeError } from '../../src/errors.js';
import type { WebSocketServerOptions } from '../../src/server/server-options.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { testCertificate } from '../helpers/certs.js';
import { openRaw, readUntilClosed } from '../helpers/raw-http.js';

/** The first bytes of a TLS record carrying a ClientHello (RFC 8446 5.1, 4.1.2), cut short. */
const PARTIAL_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

/** How long a test waits for the server to close a socket: far past any deadline a test sets. */
const CLOSE_WAIT = 10_000;

const servers: WebSocketServer[] = [];
const sockets: Array<{ destroy(): void }> = [];
const connections: Connection[] = [];
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.terminate();
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close({ timeout: 100 })));
});

function echo(connection: Connection): void {
  connection.onMessage((message) => {
    connection.send(message.data);
  });
}

async function start(
  options: WebSocketServerOptions,
): Promise<{ server: WebSocketServer; port: number; cert: string }> {
  const { key, cert } = await testCertificate();
  const server = new WebSocketServer({ onConnection: echo, ...options, tls: { key, cert, ...options.tls } });
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, cert };
}

/** A raw TCP socket to the TLS port (cleaned up after the test). */
async function rawSocket(port: number): Promise<Socket> {
  const socket = await openRaw(port);
  sockets.push(socket);
  socket.on('error', () => {});
  return socket;
}

/** A raw TCP socket from another loopback source address (127.0.0.0/8 is all loopback on Linux). */
function rawSocketFrom(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ port, host: '127.0.0.1', localAddress });
    sockets.push(socket);
    socket.once('connect', () => {
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Whether the server closed the socket within `limit` ms (else it is destroyed here), and bytes it got. */
function closedByServer(socket: Socket, limit = CLOSE_WAIT): Promise<{ closed: boolean; bytes: number }> {
  return new Promise((resolve) => {
    let bytes = 0;
    const timer = setTimeout(() => {
      socket.off('close', onClose);
      socket.destroy();
      resolve({ closed: false, bytes });
    }, limit);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve({ closed: true, bytes });
    };
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    socket.once('close', onClose);
  });
}

/** Polls `condition` every 10 ms, at most `rounds` times. */
async function until(condition: () => boolean, what: string, rounds = 500): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`${what}: not reached`);
}

async function wssClient(port: number, cert: string): Promise<Connection> {
  const connection = await connect(`wss://localhost:${port}/`, { ca: cert });
  connections.push(connection);
  return connection;
}

async function roundTrip(connection: Connection, text: string): Promise<string> {
  connection.send(text);
  const message = await connection.read();
  assert.equal(message.type, 'text');
  return message.data as string;
}

describe('maxPendingHandshakes over TLS', () => {
  test('TLS handshakes hold the slots; one more is closed before TLS; freed slots admit a client', async () => {
    // A deadline far past every wait here: any close seen below comes from admission, not a timeout.
    const { server, port, cert } = await start({
      maxPendingHandshakes: 3,
      handshakeTimeout: 60_000,
      firstByteTimeout: 60_000,
    });
    const silent = [await rawSocket(port), await rawSocket(port), await rawSocket(port)];
    await until(() => server.stats.pendingHandshakes === 3, 'three TLS handshakes pending');

    const fourth = await rawSocket(port);
    fourth.write(PARTIAL_CLIENT_HELLO);
    const ended = await closedByServer(fourth);
    assert.equal(ended.closed, true, 'the socket past the limit is closed by the server');
    assert.equal(ended.bytes, 0, 'no TLS record (no HTTP answer either) was sent to it');
    await assert.rejects(
      connect(`wss://localhost:${port}/`, { ca: cert }),
      (error) => error instanceof HandshakeError,
      'a real client is turned away too while the slots are held',
    );
    assert.equal(server.stats.overHandshakeLimit, 2);
    assert.equal(server.stats.pendingHandshakes, 3);
    assert.equal(server.stats.connections, 0);

    for (const socket of silent) socket.destroy();
    await until(() => server.stats.pendingHandshakes === 0, 'the freed slots are counted back');

    const client = await wssClient(port, cert);
    assert.equal(await roundTrip(client, 'admitted'), 'admitted');
    assert.equal(server.stats.pendingHandshakes, 0, 'a finished handshake holds no slot');
    assert.equal(server.stats.connections, 1);
    assert.equal(server.stats.upgrades, 1);
  });

  test('a finished TLS handshake moves into the request-head count once, not twice', async () => {
    const { server, port, cert } = await start({
      maxPendingHandshakes: 2,
      handshakeTimeout: 60_000,
      firstByteTimeout: 60_000,
    });
    const tls = connectTls({ port, host: '127.0.0.1', servername: 'localhost', ca: cert });
    sockets.push(tls);
    tls.on('error', () => {});
    await new Promise<void>((resolve) => tls.once('secureConnect', resolve));
    // TLS done, no request head sent: one slot held (by the head reader now).
    await until(() => server.stats.pendingHandshakes === 1, 'one handshake pending after TLS');
    const other = await rawSocket(port);
    await until(() => server.stats.pendingHandshakes === 2, 'a second one in its TLS handshake');
    const third = await rawSocket(port);
    assert.equal((await closedByServer(third)).closed, true, 'the third is over the limit of 2');
    assert.equal(server.stats.overHandshakeLimit, 1);
    tls.destroy();
    other.destroy();
    await until(() => server.stats.pendingHandshakes === 0, 'every slot freed');
  });

  test('maxConnections still answers 503 (after TLS) and does not count handshakes', async () => {
    const { server, port, cert } = await start({ maxConnections: 1, maxPendingHandshakes: 1 });
    await wssClient(port, cert);
    await assert.rejects(
      connect(`wss://localhost:${port}/`, { ca: cert }),
      (error) => error instanceof HandshakeError && error.status === 503,
    );
    assert.equal(server.stats.overConnectionLimit, 1);
    assert.equal(server.stats.overHandshakeLimit, 0);
    await until(() => server.stats.pendingHandshakes === 0, 'the refused handshake is forgotten');
  });
});

describe('eviction and the first-byte deadline over TLS', () => {
  test('a full table: a wss client displaces the oldest silent TLS socket of another address, closed before any TLS record', async () => {
    const { server, port, cert } = await start({
      maxPendingHandshakes: 2,
      handshakeTimeout: 60_000,
      firstByteTimeout: 60_000,
    });
    const oldest = await rawSocketFrom(port, '127.0.0.2');
    await until(() => server.stats.pendingHandshakes === 1, 'one TLS handshake pending');
    await rawSocketFrom(port, '127.0.0.3');
    await until(() => server.stats.pendingHandshakes === 2, 'two TLS handshakes pending');
    const ended = closedByServer(oldest);
    const client = await wssClient(port, cert);
    const end = await ended;
    assert.equal(end.closed, true, 'the oldest silent socket gave its slot up');
    assert.equal(end.bytes, 0);
    assert.equal(server.stats.evicted, 1);
    assert.equal(server.stats.overHandshakeLimit, 0);
    assert.equal(await roundTrip(client, 'admitted'), 'admitted');
    await until(() => server.stats.pendingHandshakes === 1, 'the other one still pending');
  });

  test('a TCP socket that sends no byte is closed at firstByteTimeout; one that started its ClientHello is not', async () => {
    const { server, port } = await start({ firstByteTimeout: 200, handshakeTimeout: 60_000 });
    const silent = await rawSocket(port);
    const partial = await rawSocket(port);
    partial.write(PARTIAL_CLIENT_HELLO);
    assert.equal((await closedByServer(silent)).closed, true);
    assert.equal(server.stats.timeouts, 1);
    assert.equal(server.stats.socketErrors, 0);
    await until(() => server.stats.pendingHandshakes === 1, 'the socket that spoke keeps its slot');
    assert.equal(partial.destroyed, false);
  });
});

describe('handshakeTimeout over TLS', () => {
  test('a TLS handshake that never finishes is closed, and counted as a timeout', async () => {
    const { server, port } = await start({ handshakeTimeout: 300 });
    const silent = await rawSocket(port);
    const partial = await rawSocket(port);
    partial.write(PARTIAL_CLIENT_HELLO);
    const [silentEnd, partialEnd] = await Promise.all([closedByServer(silent), closedByServer(partial)]);
    assert.equal(silentEnd.closed, true, 'a socket that sends nothing is closed');
    assert.equal(partialEnd.closed, true, 'a socket stuck in its ClientHello is closed');
    await until(() => server.stats.pendingHandshakes === 0, 'nothing left pending');
    assert.equal(server.stats.timeouts, 2);
    assert.equal(server.stats.socketErrors, 0, 'the teardown of a timed-out socket is not also an error');
  });

  test('the deadline covers TLS and the request head: a client silent after TLS gets 408', async () => {
    const { server, port, cert } = await start({ handshakeTimeout: 300 });
    const tls = connectTls({ port, host: '127.0.0.1', servername: 'localhost', ca: cert });
    sockets.push(tls);
    tls.on('error', () => {});
    const answer = readUntilClosed(tls as unknown as Socket, CLOSE_WAIT);
    assert.equal((await answer).status, 408);
    await until(() => server.stats.pendingHandshakes === 0, 'nothing left pending');
    assert.equal(server.stats.timeouts, 1);
  });

  test('an open connection outlives the handshake deadline', async () => {
    const { server, port, cert } = await start({ handshakeTimeout: 300 });
    const client = await wssClient(port, cert);
    // Three deadlines: a TLS deadline left running by mistake would have cut the connection by now.
    await new Promise((resolve) => setTimeout(resolve, 900));
    assert.equal(await roundTrip(client, 'still here'), 'still here');
    assert.equal(server.stats.timeouts, 0);
    assert.equal(server.stats.pendingHandshakes, 0);
  });

  test("Node's own TLS handshake timeout (tls.handshakeTimeout) closes the socket too", async () => {
    // Node only reports its timeout ('tlsClientError') and leaves the socket open; the server closes it.
    const { server, port } = await start({ handshakeTimeout: 60_000, tls: { handshakeTimeout: 200 } });
    const partial = await rawSocket(port);
    partial.write(PARTIAL_CLIENT_HELLO);
    assert.equal((await closedByServer(partial)).closed, true);
    await until(() => server.stats.pendingHandshakes === 0, 'nothing left pending');
    assert.equal(server.stats.timeouts, 1);
    assert.equal(server.stats.socketErrors, 0);
  });
});

describe('the TLS handshake count', () => {
  test('a failed TLS handshake is an error, and leaves no slot held', async () => {
    const errors: Error[] = [];
    const { server, port } = await start({ onError: (error) => errors.push(error) });
    const plain = await rawSocket(port);
    plain.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'); // plain text to a TLS port
    assert.equal((await closedByServer(plain)).closed, true);
    await until(() => server.stats.pendingHandshakes === 0, 'nothing left pending');
    assert.equal(server.stats.socketErrors, 1);
    assert.equal(errors.length, 1);
  });

  test('close() drops sockets in their TLS handshake', async () => {
    const { server, port } = await start({ handshakeTimeout: 60_000, firstByteTimeout: 60_000 });
    const silent = await rawSocket(port);
    await until(() => server.stats.pendingHandshakes === 1, 'one TLS handshake pending');
    const ended = closedByServer(silent);
    await server.close({ timeout: 100 });
    assert.equal((await ended).closed, true);
    assert.equal(server.stats.pendingHandshakes, 0);
    assert.equal(server.stats.socketErrors, 0, 'dropped at shutdown, not failed');
  });
});
