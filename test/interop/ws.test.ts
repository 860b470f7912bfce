// Interop with the `ws` package (npm ws 8): our server with its client, our client with its server.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import { connect } from '../../src/client/connect.js';
import type { Connection } from '../../src/connection/connection.js';
import { testCertificate } from '../helpers/certs.js';
import {
  type EchoServer,
  RESERVED_OPCODE_CLIENT_FRAME,
  startEchoServer,
  summarize,
} from './harness/our-server.js';
import { pattern, SIXTEEN_MIB, sha256 } from './harness/pattern.js';

const TIMEOUT = { timeout: 60_000 };

function openWs(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { maxPayload: 64 * 1024 * 1024, ...options });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  const [data, isBinary] = (await once(socket, 'message')) as [Buffer, boolean];
  return { data, isBinary };
}

async function closeOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
  const [code, reason] = (await once(socket, 'close')) as [number, Buffer];
  return { code, reason: reason.toString('utf8') };
}

const TEN_PING_PAYLOADS = Array.from({ length: 10 }, (_, index) => `ping ${index}`);

/** Ten pings from `ws`, back to back: the socket is corked so they leave in one write. */
async function tenPings(socket: WebSocket): Promise<void> {
  const raw = (socket as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
  raw.cork();
  for (const payload of TEN_PING_PAYLOADS) socket.ping(Buffer.from(payload));
  raw.uncork();
}

/** Waits (bounded) for `condition`, one macrotask at a time. */
async function until(condition: () => boolean, turns = 5000): Promise<void> {
  for (let turn = 0; turn < turns && !condition(); turn++)
    await new Promise((resolve) => setTimeout(resolve, 1));
  assert.ok(condition(), 'condition not reached');
}

describe('our server <- ws client', TIMEOUT, () => {
  let echo: EchoServer;
  before(async () => {
    echo = await startEchoServer();
  });
  after(() => echo.close());

  test('text and binary round-trip', async () => {
    const client = await openWs(`ws://127.0.0.1:${echo.port}/`);
    client.send('héllo wörld');
    const text = await nextMessage(client);
    assert.equal(text.isBinary, false);
    assert.equal(text.data.toString('utf8'), 'héllo wörld');
    client.send(Buffer.from([0, 1, 2, 255]));
    const binary = await nextMessage(client);
    assert.equal(binary.isBinary, true);
    assert.deepEqual([...binary.data], [0, 1, 2, 255]);
    client.close();
    await closeOf(client);
  });

  test('a fragmented message from ws arrives whole', async () => {
    const client = await openWs(`ws://127.0.0.1:${echo.port}/`);
    client.send('frag', { fin: false });
    client.send('men', { fin: false });
    client.send('ted', { fin: true });
    assert.equal((await nextMessage(client)).data.toString(), 'fragmented');
    client.close();
    await closeOf(client);
  });

  test('4 MiB from ws in 64-byte fragments (65,537 frames) arrives whole (RFC 6455 5.4)', async () => {
    const client = await openWs(`ws://127.0.0.1:${echo.port}/`);
    const payload = pattern(4 * 1024 * 1024);
    for (let offset = 0; offset < payload.length; offset += 64)
      client.send(payload.subarray(offset, offset + 64), { binary: true, fin: false });
    client.send(Buffer.alloc(0), { binary: true, fin: true });
    const closedFirst = closeOf(client).then(({ code, reason }) => {
      throw new Error(`closed with ${code} ${reason} instead of echoing`);
    });
    closedFirst.catch(() => {}); // after the echo, the close below settles it: not an error then
    const reply = await Promise.race([nextMessage(client), closedFirst]);
    assert.equal(reply.data.length, payload.length);
    assert.equal(sha256(reply.data), sha256(payload));
    client.close();
    await closeOf(client);
  });

  test('16 MiB binary both ways', async () => {
    const client = await openWs(`ws://127.0.0.1:${echo.port}/`);
    const payload = pattern(SIXTEEN_MIB);
    client.send(payload);
    const reply = await nextMessage(client);
    assert.equal(reply.data.length, SIXTEEN_MIB);
    assert.equal(sha256(reply.data), sha256(payload));
    client.close();
    await closeOf(client);
  });

  test('pings both ways', async () => {
    const client = await openWs(`ws://127.0.0.1:${echo.port}/`);
    const connection = await echo.nextConnection();
    const pong = once(client, 'pong');
    client.ping(Buffer.from('from ws'));
    assert.equal(((await pong) as [Buffer])[0].toString(), 'from ws');
    const rtt = await connection.ping('from us');
    assert.ok(rtt >= 0);
    client.close();
    await closeOf(client);
  });

  test('ten pings back to back get ten pongs, in order, with their payloads', async () => {
    const client = await openWs(`ws://127.0.0.1:${echo.port}/`);
    const connection = await echo.nextConnection();
    const pongs: string[] = [];
    client.on('pong', (data: Buffer) => pongs.push(data.toString()));
    await tenPings(client);
    await until(() => pongs.length >= 10);
    assert.deepEqual(pongs, TEN_PING_PAYLOADS);
    assert.equal(connection.stats.pongsCoalesced, 0);
    client.close();
    await closeOf(client);
  });

  test('close initiated by the client', async () => {
    const client = await openWs(`ws://127.0.0.1:${echo.port}/`);
    const connection = await echo.nextConnection();
    client.close(4000, 'client bye');
    // ws reports our echo: the same code (RFC 6455 5.5.1), without repeating the reason.
    assert.equal((await closeOf(client)).code, 4000);
    const info = await connection.closed;
    assert.equal(info.code, 4000);
    assert.equal(info.reason, 'client bye');
    assert.equal(info.wasClean, true);
  });

  test('close initiated by the server', async () => {
    const client = await openWs(`ws://127.0.0.1:${echo.port}/`);
    const connection = await echo.nextConnection();
    const closed = closeOf(client);
    const info = await connection.close(4001, 'server bye');
    assert.deepEqual(await closed, { code: 4001, reason: 'server bye' });
    assert.equal(info.wasClean, true);
  });

  test('abnormal closure (1006) both ways', async () => {
    const a = await openWs(`ws://127.0.0.1:${echo.port}/`);
    const ours = await echo.nextConnection();
    const closed = closeOf(a);
    ours.terminate();
    assert.equal((await closed).code, 1006);
    const b = await openWs(`ws://127.0.0.1:${echo.port}/`);
    const ours2 = await echo.nextConnection();
    b.terminate();
    const info = await ours2.closed;
    assert.equal(info.code, 1006);
    assert.equal(info.wasClean, false);
  });

  test('a protocol error from the client fails the connection with 1002', async () => {
    const client = await openWs(`ws://127.0.0.1:${echo.port}/`);
    const connection = await echo.nextConnection();
    const closed = closeOf(client);
    // ws cannot be made to send a bad frame; write one under it.
    (client as unknown as { _socket: { write(data: Buffer): void } })._socket.write(
      Buffer.from(RESERVED_OPCODE_CLIENT_FRAME, 'hex'),
    );
    assert.equal((await closed).code, 1002);
    assert.equal((await connection.closed).code, 1002);
  });

  test('wss with a certificate made by the test', async () => {
    const { key, cert } = await testCertificate();
    const secure = await startEchoServer({ tls: { key, cert } });
    try {
      const client = await openWs(`wss://localhost:${secure.port}/`, { ca: cert });
      client.send('secure hello');
      assert.equal((await nextMessage(client)).data.toString(), 'secure hello');
      client.close();
      await closeOf(client);
    } finally {
      await secure.close();
    }
  });

  test('permessage-deflate with ws', async () => {
    const compressed = await startEchoServer({ perMessageDeflate: true });
    try {
      const client = await openWs(`ws://127.0.0.1:${compressed.port}/`, { perMessageDeflate: true });
      assert.match(client.extensions, /permessage-deflate/);
      const text = 'deflate me '.repeat(2000);
      client.send(text);
      assert.equal((await nextMessage(client)).data.toString(), text);
      client.close();
      await closeOf(client);
    } finally {
      await compressed.close();
    }
  });
});

describe('our client -> ws server', TIMEOUT, () => {
  let wss: WsServer;
  let port: number;
  const serverSide: WebSocket[] = [];
  const waiting: Array<(socket: WebSocket) => void> = [];
  const nextServerSocket = (): Promise<WebSocket> => {
    const ready = serverSide.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
  };

  before(async () => {
    wss = new WsServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 * 1024, perMessageDeflate: true });
    wss.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
      const waiter = waiting.shift();
      if (waiter) waiter(socket);
      else serverSide.push(socket);
    });
    await once(wss, 'listening');
    port = (wss.address() as AddressInfo).port;
  });
  after(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });

  async function open(): Promise<{ connection: Connection; peer: WebSocket }> {
    const connection = await connect(`ws://127.0.0.1:${port}/`, { maxPayload: 64 * 1024 * 1024 });
    return { connection, peer: await nextServerSocket() };
  }

  test('text and binary round-trip', async () => {
    const { connection } = await open();
    connection.send('hello ws');
    assert.deepEqual(await connection.read(), { type: 'text', data: 'hello ws' });
    connection.send(Buffer.from([9, 8, 7]));
    assert.deepEqual(await connection.read(), { type: 'binary', data: Buffer.from([9, 8, 7]) });
    await connection.close();
  });

  test('fragmented both ways: our writeStream, and ws fragments', async () => {
    const { connection, peer } = await open();
    const writer = connection.writeStream('text').getWriter();
    await writer.write('part one, ');
    await writer.write('part two');
    await writer.close();
    assert.deepEqual(await connection.read(), { type: 'text', data: 'part one, part two' });
    peer.send(Buffer.from('x'), { fin: false, binary: true });
    peer.send(Buffer.from('yz'), { fin: true, binary: true });
    assert.deepEqual(await connection.read(), { type: 'binary', data: Buffer.from('xyz') });
    await connection.close();
  });

  test('16 MiB binary both ways', async () => {
    const { connection } = await open();
    const payload = pattern(SIXTEEN_MIB);
    connection.send(payload);
    const reply = await connection.read();
    assert.deepEqual(summarize(reply), { type: 'binary', length: SIXTEEN_MIB, sha256: sha256(payload) });
    await connection.close();
  });

  test('pings both ways', async () => {
    const { connection, peer } = await open();
    assert.ok((await connection.ping('rtt')) >= 0);
    const pong = once(peer, 'pong');
    peer.ping(Buffer.from('from ws server'));
    assert.equal(((await pong) as [Buffer])[0].toString(), 'from ws server');
    await connection.close();
  });

  test('ten pings back to back from the ws server get ten pongs from our client', async () => {
    const { connection, peer } = await open();
    const pongs: string[] = [];
    peer.on('pong', (data: Buffer) => pongs.push(data.toString()));
    await tenPings(peer);
    await until(() => pongs.length >= 10);
    assert.deepEqual(pongs, TEN_PING_PAYLOADS);
    await connection.close();
  });

  test('close initiated by our client', async () => {
    const { connection, peer } = await open();
    const peerClosed = closeOf(peer);
    const info = await connection.close(4002, 'client bye');
    assert.equal(info.wasClean, true);
    assert.deepEqual(await peerClosed, { code: 4002, reason: 'client bye' });
  });

  test('close initiated by the ws server', async () => {
    const { connection, peer } = await open();
    peer.close(4003, 'server bye');
    const info = await connection.closed;
    assert.equal(info.code, 4003);
    assert.equal(info.reason, 'server bye');
    assert.equal(info.wasClean, true);
  });

  test('abnormal closure: the server drops TCP', async () => {
    const { connection, peer } = await open();
    peer.terminate();
    const info = await connection.closed;
    assert.equal(info.code, 1006);
    assert.equal(info.wasClean, false);
  });

  test('a protocol error from the server fails our connection with 1002, and ws sees 1002', async () => {
    const { connection, peer } = await open();
    const peerClosed = closeOf(peer);
    (peer as unknown as { _socket: { write(data: Buffer): void } })._socket.write(Buffer.from('8300', 'hex'));
    assert.equal((await connection.closed).code, 1002);
    assert.equal((await peerClosed).code, 1002);
  });

  test('permessage-deflate with the ws server', async () => {
    const connection = await connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate: true });
    await nextServerSocket();
    assert.match(connection.extensions, /permessage-deflate/);
    const text = 'compressible '.repeat(3000);
    connection.send(text);
    assert.deepEqual(await connection.read(), { type: 'text', data: text });
    await connection.close();
  });

  test('wss to a ws server behind https with a certificate made by the test', async () => {
    const { key, cert } = await testCertificate();
    const https = (await import('node:https')).createServer({ key, cert });
    const secure = new WsServer({ server: https });
    secure.on('connection', (socket) =>
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
    );
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    try {
      const connection = await connect(`wss://localhost:${(https.address() as AddressInfo).port}/`, {
        ca: cert,
      });
      connection.send('tls to ws');
      assert.deepEqual(await connection.read(), { type: 'text', data: 'tls to ws' });
      await connection.close();
    } finally {
      for (const client of secure.clients) client.terminate();
      secure.close();
      https.closeAllConnections();
      https.close();
    }
  });
});
