// Connections over real TCP sockets on 127.0.0.1 through SocketTransport (no HTTP handshake: the
// connection contract starts after it).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { Connection } from '../../src/connection/connection.js';
import { ConnectionClosedError } from '../../src/errors.js';
import { nodeClock } from '../../src/node/clock.js';
import { SocketTransport } from '../../src/node/socket-transport.js';

interface TcpPair {
  client: Connection;
  server: Connection;
  clientSocket: Socket;
  serverSocket: Socket;
  listener: Server;
}

const open: TcpPair[] = [];

async function tcpPair(options: { maxBufferedBytes?: number } = {}): Promise<TcpPair> {
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as AddressInfo;
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const clientSocket = connect(port, '127.0.0.1');
  await once(clientSocket, 'connect');
  const [serverSocket] = await accepted;
  const server = new Connection(new SocketTransport(serverSocket), {
    role: 'server',
    clock: nodeClock,
    ...options,
  });
  const client = new Connection(new SocketTransport(clientSocket), {
    role: 'client',
    clock: nodeClock,
    ...options,
  });
  const pair = { client, server, clientSocket, serverSocket, listener };
  open.push(pair);
  return pair;
}

afterEach(async () => {
  for (const pair of open.splice(0)) {
    pair.client.terminate();
    pair.server.terminate();
    await Promise.all([pair.client.closed, pair.server.closed]);
    pair.listener.close();
    await once(pair.listener, 'close');
  }
});

describe('SocketTransport', () => {
  test('echo over the callback path, text and a 4 MiB binary message', async () => {
    const { client, server } = await tcpPair();
    server.onRawMessage((data, type) => server.send(data, { binary: type === 'binary' }));
    client.send('hello');
    assert.deepEqual(await client.read(), { type: 'text', data: 'hello' });
    const big = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 12) & 0xff;
    await client.write(big);
    const echoed = await client.read();
    assert.equal(echoed.type, 'binary');
    assert.ok(big.equals(echoed.data as Buffer));
    assert.equal(client.remoteAddress, '127.0.0.1');
  });

  test('the close handshake ends both sockets cleanly; the server closes TCP first', async () => {
    const { client, server, clientSocket, serverSocket } = await tcpPair();
    const serverEnded = once(serverSocket, 'finish');
    const info = await client.close(1000, 'done');
    await serverEnded;
    assert.deepEqual(info, { code: 1000, reason: '', wasClean: true, unsentMessages: 0 });
    assert.deepEqual(await server.closed, { code: 1000, reason: 'done', wasClean: true, unsentMessages: 0 });
    assert.ok(clientSocket.destroyed && serverSocket.destroyed);
  });

  test('backpressure: write() waits while the reader holds the socket paused, then completes', async () => {
    const { client, server } = await tcpPair({ maxBufferedBytes: 256 * 1024 });
    client.pause();
    const chunk = Buffer.alloc(64 * 1024, 7);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 512; i++) writes.push(server.write(chunk)); // 32 MiB: more than the kernel buffers hold
    let settled = 0;
    for (const write of writes)
      write.then(
        () => settled++,
        () => undefined,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(settled < writes.length, 'some writes wait for the reader');
    assert.ok(server.bufferedAmount > 256 * 1024);
    client.resume();
    let received = 0;
    for (let i = 0; i < 512; i++) received += (await client.read()).data.length;
    await Promise.all(writes);
    assert.equal(received, 32 * 1024 * 1024);
  });

  test('a socket destroyed under the connection reports 1006 and fails reads', async () => {
    const { client, server, clientSocket } = await tcpPair();
    const reading = server.read();
    clientSocket.destroy();
    await assert.rejects(
      reading,
      (error: unknown) => error instanceof ConnectionClosedError && error.closeCode === 1006,
    );
    assert.equal((await server.closed).wasClean, false);
    assert.equal((await client.closed).code, 1006);
  });
});
