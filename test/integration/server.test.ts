// WebSocketServer over real sockets: listen, attach, handleUpgrade, the policy hooks, refusals of
// malformed requests (status and readable body, never an exception) and graceful close.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { Connection } from '../../src/connection/connection.js';
import type { WebSocketServerOptions } from '../../src/server/server-options.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { testCertificate } from '../helpers/certs.js';
import {
  openRaw,
  rawRequest,
  readBytes,
  readHead,
  readUntilClosed,
  upgradeRequest,
} from '../helpers/raw-http.js';

function echo(connection: Connection): void {
  connection.onMessage((message) => {
    connection.send(message.data);
  });
}

// Every server and http server a test opens is closed after it, pass or fail.
const servers: WebSocketServer[] = [];
const httpServers: Array<{ close(): void; closeAllConnections(): void }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close({ timeout: 100 })));
  for (const http of httpServers.splice(0)) {
    http.closeAllConnections();
    http.close();
  }
});

function track(server: WebSocketServer): WebSocketServer {
  servers.push(server);
  return server;
}

async function start(
  options: WebSocketServerOptions = {},
): Promise<{ server: WebSocketServer; port: number }> {
  const server = track(new WebSocketServer({ onConnection: echo, ...options }));
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

/** Opens a `ws` client and resolves once open (or rejects with the unexpected response status). */
function openWs(
  url: string,
  protocols?: string | string[],
  options: WebSocket.ClientOptions = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, options);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => {
      reject(Object.assign(new Error(`status ${response.statusCode}`), { status: response.statusCode }));
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

async function roundTrip(socket: WebSocket, data: string): Promise<string> {
  socket.send(data);
  const [reply] = (await once(socket, 'message')) as [Buffer];
  return reply.toString('utf8');
}

async function closeWs(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return;
  const closed = once(socket, 'close');
  socket.close();
  await closed;
}

// Any throw that escapes the server would surface here and fail the run.
let escaped: unknown[] = [];
const onUncaught = (error: unknown): void => {
  escaped.push(error);
};
before(() => process.on('uncaughtException', onUncaught));
after(() => {
  process.off('uncaughtException', onUncaught);
  assert.deepEqual(escaped, []);
  escaped = [];
});

describe('listen()', { timeout: 30_000 }, () => {
  test('upgrades a ws client and exchanges messages; the request is available on the connection', async () => {
    const connections: Connection[] = [];
    const { server, port } = await start({
      onConnection: (connection) => {
        connections.push(connection);
        echo(connection);
      },
    });
    const client = await openWs(`ws://127.0.0.1:${port}/chat?room=1`);
    assert.equal(await roundTrip(client, 'hello'), 'hello');
    assert.equal(connections.length, 1);
    assert.equal(connections[0]?.request?.url, '/chat?room=1');
    assert.equal(server.connections.size, 1);
    assert.equal(server.stats.upgrades, 1);
    await closeWs(client);
    await connections[0]?.closed;
    assert.equal(server.connections.size, 0);
    await server.close();
  });

  test('answers a plain HTTP request with 426, an Upgrade header and a readable body', async () => {
    const { server, port } = await start();
    const answer = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(answer.status, 426);
    assert.equal(answer.headers.upgrade, 'websocket');
    assert.match(answer.body, /WebSocket only/);
    assert.equal(Number(answer.headers['content-length']), Buffer.byteLength(answer.body));
    await server.close();
  });

  describe('malformed upgrade requests get their status and a body, and the server keeps serving', () => {
    const cases: Array<[string, string | Buffer, number, RegExp]> = [
      ['POST', upgradeRequest('/').replace('GET', 'POST'), 405, /GET/],
      ['missing key', upgradeRequest('/', { 'Sec-WebSocket-Key': '' }), 400, /Sec-WebSocket-Key/],
      ['short key', upgradeRequest('/', { 'Sec-WebSocket-Key': 'c2hvcnQ=' }), 400, /Sec-WebSocket-Key/],
      ['version 8', upgradeRequest('/', { 'Sec-WebSocket-Version': '8' }), 426, /version/],
      ['no Connection: Upgrade', upgradeRequest('/', { Connection: 'keep-alive' }), 400, /Connection/],
      ['HTTP/1.0', upgradeRequest('/').replace('HTTP/1.1', 'HTTP/1.0'), 400, /HTTP\/1\.1/],
      ['bare LF', upgradeRequest('/').replaceAll('\r\n', '\n'), 400, /LF/],
      ['binary garbage', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]), 400, /./],
      ['headers over 8 KiB', upgradeRequest('/', { 'X-Big': 'a'.repeat(9000) }), 431, /8192/],
      ['bad subprotocol list', upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'a b' }), 400, /Protocol/],
      ['bad extension header', upgradeRequest('/', { 'Sec-WebSocket-Extensions': ';;' }), 400, /Extensions/],
    ];
    let server: WebSocketServer;
    let port: number;
    before(async () => {
      // Shared by the cases below, so not closed after each one.
      server = new WebSocketServer({ onConnection: echo });
      ({ port } = await server.listen(0, '127.0.0.1'));
    });
    after(() => server.close());
    for (const [name, request, status, body] of cases) {
      test(name, async () => {
        const answer = await rawRequest(port, request);
        assert.equal(answer.status, status, answer.text);
        assert.match(answer.body, body);
        assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
      });
    }
    test('version 8 is told which version we speak', async () => {
      const answer = await rawRequest(port, upgradeRequest('/', { 'Sec-WebSocket-Version': '8' }));
      assert.equal(answer.headers['sec-websocket-version'], '13');
    });
    test('after all that the server still upgrades and counts the refusals', async () => {
      const client = await openWs(`ws://127.0.0.1:${port}/`);
      assert.equal(await roundTrip(client, 'still here'), 'still here');
      await closeWs(client);
      assert.ok(server.stats.refused >= cases.length);
    });
  });

  test('a head that never completes gets 408 after handshakeTimeout and the socket is closed', async () => {
    const { server, port } = await start({ handshakeTimeout: 200 });
    const socket = await openRaw(port);
    const answer = readUntilClosed(socket);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const { status, body } = await answer;
    assert.equal(status, 408);
    assert.match(body, /in time/);
    assert.equal(server.stats.timeouts, 1);
    await server.close();
  });

  test('a client that resets mid-handshake is absorbed', async () => {
    const { server, port } = await start();
    const socket = await openRaw(port);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    socket.resetAndDestroy();
    await once(socket, 'close');
    const client = await openWs(`ws://127.0.0.1:${port}/`);
    assert.equal(await roundTrip(client, 'ok'), 'ok');
    await closeWs(client);
    await server.close();
  });

  test('bytes sent right after the request head reach the connection', async () => {
    const { server, port } = await start();
    const socket = await openRaw(port);
    // A masked text frame "hi" in the same write as the head.
    const frame = Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2]);
    socket.write(Buffer.concat([Buffer.from(upgradeRequest('/')), frame]));
    const { answer, rest } = await readHead(socket);
    assert.equal(answer.status, 101);
    assert.equal(answer.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const echoed = await readBytes(socket, rest, 4);
    assert.deepEqual([...echoed], [0x81, 0x02, 0x68, 0x69]);
    socket.destroy();
    await server.close();
  });

  test('wss:// with the tls option', async () => {
    const { key, cert } = await testCertificate();
    const { server, port } = await start({ tls: { key, cert } });
    const client = await openWs(`wss://localhost:${port}/`, undefined, { ca: cert });
    assert.equal(await roundTrip(client, 'secure'), 'secure');
    await closeWs(client);
    await server.close();
  });

  test('a client that fails TLS is counted, reported, and does not disturb the server', async () => {
    const { key, cert } = await testCertificate();
    const errors: Error[] = [];
    const { server, port } = await start({ tls: { key, cert }, onError: (error) => errors.push(error) });
    const answer = await rawRequest(port, upgradeRequest('/')); // plain text to a TLS port
    assert.equal(answer.status, 0);
    assert.equal(server.stats.socketErrors, 1);
    assert.equal(errors.length, 1);
    const client = await openWs(`wss://localhost:${port}/`, undefined, { ca: cert });
    assert.equal(await roundTrip(client, 'fine'), 'fine');
    await closeWs(client);
    await server.close();
  });

  test('listen() on a taken port rejects', async () => {
    const { server, port } = await start();
    const other = track(new WebSocketServer());
    await assert.rejects(other.listen(port, '127.0.0.1'), /EADDRINUSE/);
    await other.close();
    await server.close();
  });
});

describe('options', { timeout: 30_000 }, () => {
  test('path as a string: other paths get 404, the query is ignored', async () => {
    const { server, port } = await start({ path: '/ws' });
    const client = await openWs(`ws://127.0.0.1:${port}/ws?token=1`);
    await closeWs(client);
    const answer = await rawRequest(port, upgradeRequest('/other'));
    assert.equal(answer.status, 404);
    assert.match(answer.body, /\/other/);
    await server.close();
  });

  test('path as a predicate', async () => {
    const { server, port } = await start({ path: (pathname) => pathname.startsWith('/rooms/') });
    await closeWs(await openWs(`ws://127.0.0.1:${port}/rooms/7`));
    assert.equal((await rawRequest(port, upgradeRequest('/lobby'))).status, 404);
    await server.close();
  });

  test('authorize refuses with its own status, headers and body', async () => {
    const { server, port } = await start({
      authorize: (request) =>
        request.headers.authorization === 'Bearer good'
          ? true
          : { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: 'token required' },
    });
    const answer = await rawRequest(port, upgradeRequest('/'));
    assert.equal(answer.status, 401);
    assert.equal(answer.headers['www-authenticate'], 'Bearer');
    assert.equal(answer.body, 'token required');
    const client = await openWs(`ws://127.0.0.1:${port}/`, undefined, {
      headers: { Authorization: 'Bearer good' },
    });
    await closeWs(client);
    await server.close();
  });

  test('authorize may be async, sees the remote address, and false means 401', async () => {
    const seen: string[] = [];
    const { server, port } = await start({
      authorize: async (request) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        seen.push(String(request.remoteAddress));
        return request.url !== '/deny';
      },
    });
    await closeWs(await openWs(`ws://127.0.0.1:${port}/`));
    assert.equal((await rawRequest(port, upgradeRequest('/deny'))).status, 401);
    assert.ok(seen.every((address) => address.endsWith('127.0.0.1')));
    await server.close();
  });

  test('authorize that throws gives 500 and reports the error; the server survives', async () => {
    const errors: Error[] = [];
    const { server, port } = await start({
      authorize: () => {
        throw new Error('database down');
      },
      onError: (error) => errors.push(error),
    });
    const answer = await rawRequest(port, upgradeRequest('/'));
    assert.equal(answer.status, 500);
    assert.doesNotMatch(answer.body, /database/); // internals stay on the server
    assert.equal(errors[0]?.message, 'database down');
    await server.close();
  });

  test('authorize that never settles is cut off by handshakeTimeout with 503', async () => {
    const { server, port } = await start({ handshakeTimeout: 200, authorize: () => new Promise(() => {}) });
    const answer = await rawRequest(port, upgradeRequest('/'));
    assert.equal(answer.status, 503);
    await server.close();
  });

  test('origins as a list: 403 for others, allowed when absent (non-browser clients)', async () => {
    const { server, port } = await start({ origins: ['https://app.example'] });
    await closeWs(await openWs(`ws://127.0.0.1:${port}/`, undefined, { origin: 'https://APP.example' }));
    await closeWs(await openWs(`ws://127.0.0.1:${port}/`));
    const answer = await rawRequest(port, upgradeRequest('/', { Origin: 'https://evil.example' }));
    assert.equal(answer.status, 403);
    await server.close();
  });

  test('origins as a function', async () => {
    const { server, port } = await start({ origins: (origin) => origin === 'null' });
    assert.equal((await rawRequest(port, upgradeRequest('/'))).status, 403);
    const socket = await openRaw(port);
    socket.write(upgradeRequest('/', { Origin: 'null' }));
    assert.equal((await readHead(socket)).answer.status, 101);
    socket.destroy();
    await server.close();
  });

  test('subprotocols as a preference list; no match means no Sec-WebSocket-Protocol', async () => {
    const { server, port } = await start({ subprotocols: ['v2', 'v1'] });
    const client = await openWs(`ws://127.0.0.1:${port}/`, ['v1', 'v2']);
    assert.equal(client.protocol, 'v2');
    await closeWs(client);
    const socket = await openRaw(port);
    socket.write(upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'v9' }));
    const { answer } = await readHead(socket);
    assert.equal(answer.status, 101);
    assert.equal(answer.headers['sec-websocket-protocol'], undefined);
    socket.destroy();
    await server.close();
  });

  test('subprotocols as a function; choosing one not offered is a 500', async () => {
    const { server, port } = await start({
      subprotocols: (offered) => (offered.includes('bad') ? 'x' : offered.at(-1)),
    });
    const client = await openWs(`ws://127.0.0.1:${port}/`, ['a', 'b']);
    assert.equal(client.protocol, 'b');
    await closeWs(client);
    assert.equal(
      (await rawRequest(port, upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'bad' }))).status,
      500,
    );
    await server.close();
  });

  test('maxPayload: a larger message fails the connection with 1009', async () => {
    const { server, port } = await start({ maxPayload: 1024 });
    const client = await openWs(`ws://127.0.0.1:${port}/`);
    const closed = once(client, 'close');
    client.send(Buffer.alloc(2048));
    const [code] = (await closed) as [number];
    assert.equal(code, 1009);
    await server.close();
  });

  test('perMessageDeflate: accepted from the ws client and messages round-trip', async () => {
    const { server, port } = await start({ perMessageDeflate: true });
    const client = await openWs(`ws://127.0.0.1:${port}/`, undefined, { perMessageDeflate: true });
    assert.match(client.extensions, /permessage-deflate/);
    const text = 'compress me '.repeat(500);
    assert.equal(await roundTrip(client, text), text);
    await closeWs(client);
    await server.close();
  });

  test('without perMessageDeflate the offer is declined', async () => {
    const { server, port } = await start();
    const client = await openWs(`ws://127.0.0.1:${port}/`, undefined, { perMessageDeflate: true });
    assert.equal(client.extensions, '');
    await closeWs(client);
    await server.close();
  });

  test('connection options pass through (fragmentSize)', async () => {
    const { server, port } = await start({ connection: { fragmentSize: 4 } });
    const socket = await openRaw(port);
    socket.write(
      Buffer.concat([
        Buffer.from(upgradeRequest('/')),
        Buffer.from([0x81, 0x86, 0, 0, 0, 0, ...Buffer.from('abcdef')]),
      ]),
    );
    const { rest } = await readHead(socket);
    const frames = await readBytes(socket, rest, 10);
    // "abcd" as a non-final text frame, then "ef" as the final continuation frame.
    assert.deepEqual([...frames], [0x01, 4, 0x61, 0x62, 0x63, 0x64, 0x80, 2, 0x65, 0x66]);
    socket.destroy();
    await server.close();
  });
});

describe('attach() and handleUpgrade()', { timeout: 30_000 }, () => {
  async function httpServer(): Promise<{ http: HttpServer; port: number }> {
    const http = createHttpServer((_request, response) => {
      response.end('ordinary route');
    });
    httpServers.push(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return { http, port: (http.address() as AddressInfo).port };
  }

  test('shares the port with ordinary routes', async () => {
    const { http, port } = await httpServer();
    const server = track(new WebSocketServer({ onConnection: echo }));
    server.attach(http);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await response.text(), 'ordinary route');
    const client = await openWs(`ws://127.0.0.1:${port}/`);
    assert.equal(await roundTrip(client, 'shared'), 'shared');
    await closeWs(client);
    await server.close();
    http.close();
  });

  test('two servers with different paths on one http server', async () => {
    const { http, port } = await httpServer();
    const a = track(
      new WebSocketServer({ path: '/a', onConnection: (c) => c.onMessage(() => c.send('from a')) }),
    );
    const b = track(
      new WebSocketServer({ path: '/b', onConnection: (c) => c.onMessage(() => c.send('from b')) }),
    );
    a.attach(http);
    b.attach(http);
    const clientA = await openWs(`ws://127.0.0.1:${port}/a`);
    const clientB = await openWs(`ws://127.0.0.1:${port}/b`);
    assert.equal(await roundTrip(clientA, 'x'), 'from a');
    assert.equal(await roundTrip(clientB, 'x'), 'from b');
    await Promise.all([closeWs(clientA), closeWs(clientB)]);
    await Promise.all([a.close(), b.close()]);
    http.close();
  });

  test('after close() an attached server no longer takes upgrades; the http server keeps running', async () => {
    const { http, port } = await httpServer();
    const server = track(new WebSocketServer({ onConnection: echo }));
    server.attach(http);
    await server.close();
    await assert.rejects(openWs(`ws://127.0.0.1:${port}/`));
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'ordinary route');
    http.close();
  });

  test('handleUpgrade from a plain upgrade handler resolves with the connection', async () => {
    const { http, port } = await httpServer();
    const server = track(new WebSocketServer());
    const accepted: Promise<Connection | undefined>[] = [];
    http.on('upgrade', (request, socket, head) => {
      accepted.push(server.handleUpgrade(request, socket, head));
    });
    const client = await openWs(`ws://127.0.0.1:${port}/x`);
    const connection = await accepted[0];
    assert.ok(connection);
    client.send('via handleUpgrade');
    const message = await connection.read();
    assert.deepEqual(message, { type: 'text', data: 'via handleUpgrade' });
    await closeWs(client);
    await server.close();
    http.close();
  });

  test('handleUpgrade of a malformed request answers 400 and resolves undefined', async () => {
    const { http, port } = await httpServer();
    const server = track(new WebSocketServer());
    const accepted: Promise<Connection | undefined>[] = [];
    http.on('upgrade', (request, socket, head) => {
      accepted.push(server.handleUpgrade(request, socket, head));
    });
    const answer = await rawRequest(port, upgradeRequest('/', { 'Sec-WebSocket-Key': 'bad' }));
    assert.equal(answer.status, 400);
    assert.equal(await accepted[0], undefined);
    await server.close();
    http.close();
  });

  test('attach to an https server', async () => {
    const { key, cert } = await testCertificate();
    const https = createHttpsServer({ key, cert });
    httpServers.push(https);
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const server = new WebSocketServer({
      onConnection: (connection) => {
        connection.onMessage(() => {
          connection.send(String((connection.request as { secure?: boolean }).secure));
        });
      },
    });
    server.attach(https as unknown as HttpServer);
    const client = await openWs(`wss://localhost:${(https.address() as AddressInfo).port}/`, undefined, {
      ca: cert,
    });
    assert.equal(await roundTrip(client, 'secure?'), 'true');
    await closeWs(client);
    await server.close();
    https.close();
  });
});

describe('close()', { timeout: 30_000 }, () => {
  test('sends 1001 to every connection, waits, and stops accepting', async () => {
    const { server, port } = await start();
    const clients = await Promise.all([1, 2, 3].map(() => openWs(`ws://127.0.0.1:${port}/`)));
    const codes = clients.map((client) => once(client, 'close').then(([code]) => code as number));
    await server.close();
    assert.deepEqual(await Promise.all(codes), [1001, 1001, 1001]);
    assert.equal(server.connections.size, 0);
    await assert.rejects(openWs(`ws://127.0.0.1:${port}/`), /ECONNREFUSED/);
  });

  test('terminates a peer that does not answer the close within the timeout', async () => {
    const { server, port } = await start();
    const socket = await openRaw(port);
    socket.write(upgradeRequest('/'));
    const { answer } = await readHead(socket);
    assert.equal(answer.status, 101);
    const gone = once(socket, 'close');
    socket.resume(); // reads the Close frame but never answers it
    await server.close({ code: 4000, timeout: 100 });
    await gone;
    assert.equal(server.connections.size, 0);
  });

  test('a custom code and reason reach the client', async () => {
    const { server, port } = await start();
    const client = await openWs(`ws://127.0.0.1:${port}/`);
    const closed = once(client, 'close');
    await server.close({ code: 4001, reason: 'maintenance' });
    const [code, reason] = (await closed) as [number, Buffer];
    assert.equal(code, 4001);
    assert.equal(reason.toString(), 'maintenance');
  });

  test('handleUpgrade after close answers 503', async () => {
    const server = track(new WebSocketServer());
    await server.close();
    const http = createHttpServer();
    httpServers.push(http);
    http.on('upgrade', (request, socket, head) => void server.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const answer = await rawRequest((http.address() as AddressInfo).port, upgradeRequest('/'));
    assert.equal(answer.status, 503);
    http.close();
  });
});
