// connect() over real sockets: ws and wss, handshake options, redirects, and every way to fail
// (bad URL, refusal, TLS, timeout, abort), each with a distinct error and no socket left open.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { createSecureContext } from 'node:tls';
import { connect } from '../../src/client/connect.js';
import type { Connection } from '../../src/connection/connection.js';
import { HandshakeError, TimeoutError, WebSocketError } from '../../src/errors.js';
import type { WebSocketServerOptions } from '../../src/server/server-options.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { testCertificate } from '../helpers/certs.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function echo(connection: Connection): void {
  connection.onMessage((message) => {
    connection.send(message.data);
  });
}

async function ourServer(
  options: WebSocketServerOptions = {},
): Promise<{ server: WebSocketServer; port: number }> {
  const server = new WebSocketServer({ onConnection: echo, ...options });
  cleanups.push(() => server.close({ timeout: 100 }));
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

async function listening<S extends NetServer>(server: S): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** An http server answering every request (and upgrade) with `respond`. */
async function httpServer(
  respond: (
    url: string,
    headers: Record<string, unknown>,
  ) => { status: number; headers?: Record<string, string> },
): Promise<{ http: HttpServer; port: number }> {
  const http = createHttpServer();
  const answer = (url: string, headers: Record<string, unknown>, write: (text: string) => void): void => {
    const { status, headers: extra = {} } = respond(url, headers);
    let text = `HTTP/1.1 ${status} Moved\r\nContent-Length: 0\r\nConnection: close\r\n`;
    for (const [name, value] of Object.entries(extra)) text += `${name}: ${value}\r\n`;
    write(`${text}\r\n`);
  };
  http.on('upgrade', (request, socket) => {
    answer(request.url ?? '', request.headers, (text) => socket.end(text));
  });
  cleanups.push(() => {
    http.closeAllConnections();
    http.close();
  });
  return { http, port: await listening(http) };
}

/** A TCP server that accepts and never answers; its sockets close when the client's do. */
async function silentServer(): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createNetServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('end', () => socket.destroy());
    socket.resume(); // reads (and drops) the request, so that the client's FIN is seen
  });
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: await listening(server), sockets };
}

function openSockets(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap' || name === 'TLSWrap')
    .length;
}

/**
 * Runs `fn` (which must reject) and checks that every socket it opened is gone afterwards: the
 * count of open TCP handles in this process returns to what it was (bounded wait: 100 x 20 ms).
 */
async function rejectsWithoutLeak(
  fn: () => Promise<unknown>,
  check: (error: unknown) => boolean,
): Promise<void> {
  const before = openSockets();
  await assert.rejects(fn, (error) => {
    assert.ok(check(error), String(error));
    return true;
  });
  for (let i = 0; i < 100 && openSockets() > before; i++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(openSockets() <= before, `sockets left open after the rejection: ${openSockets()} > ${before}`);
}

async function closeConnection(connection: Connection): Promise<void> {
  await connection.close(1000);
}

describe('connect() over ws://', { timeout: 30_000 }, () => {
  test('opens, exchanges text and binary, closes cleanly', async () => {
    const { port } = await ourServer();
    const connection = await connect(`ws://127.0.0.1:${port}/echo`);
    assert.equal(connection.readyState, 'open');
    connection.send('hello');
    assert.deepEqual(await connection.read(), { type: 'text', data: 'hello' });
    connection.send(Buffer.from([1, 2, 3]));
    assert.deepEqual(await connection.read(), { type: 'binary', data: Buffer.from([1, 2, 3]) });
    const info = await connection.close(1000, 'done');
    assert.equal(info.wasClean, true);
    assert.equal(info.code, 1000);
  });

  test('sends extra headers, origin and subprotocols; reports the chosen protocol', async () => {
    const seen: Record<string, unknown>[] = [];
    const { port } = await ourServer({
      subprotocols: ['chat.v2'],
      authorize: (request) => {
        seen.push(request.headers);
      },
    });
    const connection = await connect(`ws://127.0.0.1:${port}/`, {
      headers: { Authorization: 'Bearer t', 'X-Trace': '42' },
      origin: 'https://app.example',
      protocols: ['chat.v1', 'chat.v2'],
    });
    assert.equal(connection.protocol, 'chat.v2');
    assert.equal(seen[0]?.authorization, 'Bearer t');
    assert.equal(seen[0]?.['x-trace'], '42');
    assert.equal(seen[0]?.origin, 'https://app.example');
    assert.equal(seen[0]?.host, `127.0.0.1:${port}`);
    await closeConnection(connection);
  });

  test('http:// URLs are mapped to ws://', async () => {
    const seen: Array<{ url: string; secure: boolean }> = [];
    const { port } = await ourServer({
      authorize: (request) => {
        seen.push({ url: request.url, secure: request.secure });
      },
    });
    const connection = await connect(`http://127.0.0.1:${port}/mapped?q=1`);
    connection.send('over ws');
    assert.deepEqual(await connection.read(), { type: 'text', data: 'over ws' });
    await closeConnection(connection);
    assert.deepEqual(seen, [{ url: '/mapped?q=1', secure: false }]);
  });

  test('perMessageDeflate is negotiated with our server', async () => {
    const { port } = await ourServer({ perMessageDeflate: true });
    const connection = await connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate: true });
    assert.match(connection.extensions, /^permessage-deflate/);
    const text = 'squeeze '.repeat(1000);
    connection.send(text);
    assert.deepEqual(await connection.read(), { type: 'text', data: text });
    await closeConnection(connection);
  });

  test('maxPayload applies to what the client receives', async () => {
    const { port } = await ourServer({ onConnection: (c) => c.send(Buffer.alloc(4096)) });
    const connection = await connect(`ws://127.0.0.1:${port}/`, { maxPayload: 1024 });
    const info = await connection.closed;
    assert.equal(info.code, 1009);
  });
});

describe('connect() over wss://', { timeout: 30_000 }, () => {
  async function tlsServer(): Promise<{ port: number; cert: string }> {
    const { key, cert } = await testCertificate();
    const { port } = await ourServer({ tls: { key, cert } });
    return { port, cert };
  }

  test('trusts a CA given as `ca`, by host name and by IP', async () => {
    const { port, cert } = await tlsServer();
    for (const url of [`wss://localhost:${port}/`, `wss://127.0.0.1:${port}/`]) {
      const connection = await connect(url, { ca: cert });
      connection.send('over tls');
      assert.deepEqual(await connection.read(), { type: 'text', data: 'over tls' });
      await closeConnection(connection);
    }
  });

  test('https:// URLs are mapped to wss://', async () => {
    const seen: boolean[] = [];
    const { key, cert } = await testCertificate();
    const { port } = await ourServer({
      tls: { key, cert },
      authorize: (request) => void seen.push(request.secure),
    });
    const connection = await connect(`https://localhost:${port}/`, { ca: cert });
    connection.send('over wss');
    assert.deepEqual(await connection.read(), { type: 'text', data: 'over wss' });
    await closeConnection(connection);
    assert.deepEqual(seen, [true]);
  });

  test('servername sets SNI and the name checked', async () => {
    // The certificate names only SNI_NAME (no IP), and the server has no certificate at all for a
    // hello without SNI: only a client that sends SNI_NAME and checks against it gets through.
    const SNI_NAME = 'sni.fullduplex.test';
    const { key, cert } = await testCertificate([`DNS:${SNI_NAME}`]);
    const received: string[] = [];
    const context = createSecureContext({ key, cert });
    const { port } = await ourServer({
      tls: {
        SNICallback: (name, done) => {
          received.push(name);
          done(null, context);
        },
      },
    });
    const connection = await connect(`wss://127.0.0.1:${port}/`, { ca: cert, servername: SNI_NAME });
    connection.send('by name');
    assert.deepEqual(await connection.read(), { type: 'text', data: 'by name' });
    await closeConnection(connection);
    assert.deepEqual(received, [SNI_NAME], 'the server received the servername as SNI');
    // The same server without the option: no SNI for an IP literal, so no certificate to offer.
    await rejectsWithoutLeak(
      () => connect(`wss://127.0.0.1:${port}/`, { ca: cert, handshakeTimeout: 5000 }),
      (error) => error instanceof HandshakeError && /TLS/.test(error.message),
    );
    assert.deepEqual(received, [SNI_NAME]);
  });

  test('rejectUnauthorized: false connects to an untrusted certificate', async () => {
    const { port } = await tlsServer();
    await rejectsWithoutLeak(
      () => connect(`wss://127.0.0.1:${port}/`),
      (error) => error instanceof HandshakeError && /TLS/.test(error.message),
    );
    const connection = await connect(`wss://127.0.0.1:${port}/`, { rejectUnauthorized: false });
    connection.send('untrusted');
    assert.deepEqual(await connection.read(), { type: 'text', data: 'untrusted' });
    await closeConnection(connection);
  });

  test('an untrusted certificate rejects with a TLS HandshakeError and leaks no socket', async () => {
    const { port } = await tlsServer();
    await rejectsWithoutLeak(
      () => connect(`wss://localhost:${port}/`),
      (error) =>
        error instanceof HandshakeError &&
        error.status === 0 &&
        /TLS handshake with localhost failed/.test(error.message) &&
        /SELF_SIGNED|self.signed/i.test(error.message),
    );
  });

  test('a certificate for another name rejects with a TLS HandshakeError', async () => {
    const { port, cert } = await tlsServer();
    await rejectsWithoutLeak(
      () => connect(`wss://127.0.0.1:${port}/`, { ca: cert, servername: 'other.example' }),
      (error) =>
        error instanceof HandshakeError &&
        /TLS/.test(error.message) &&
        (error.cause as NodeJS.ErrnoException).code === 'ERR_TLS_CERT_ALTNAME_INVALID',
    );
  });

  test('TLS to a server that does not speak it fails as TLS, not as a hang', async () => {
    const { port } = await ourServer();
    await rejectsWithoutLeak(
      () => connect(`wss://127.0.0.1:${port}/`, { rejectUnauthorized: false, handshakeTimeout: 5000 }),
      (error) => error instanceof HandshakeError && /TLS/.test(error.message),
    );
  });
});

describe('connect() failures', { timeout: 30_000 }, () => {
  const badUrls = [
    'not a url',
    'ftp://127.0.0.1/',
    'ws://127.0.0.1/#fragment',
    'ws://user:pw@127.0.0.1/',
    'ws://',
  ];
  for (const url of badUrls) {
    test(`a bad URL rejects with ERR_INVALID_ARGUMENT before any socket: ${url}`, async () => {
      await rejectsWithoutLeak(
        () => connect(url),
        (error) => error instanceof WebSocketError && error.code === 'ERR_INVALID_ARGUMENT',
      );
    });
  }

  test('a header value with CRLF is refused before any socket', async () => {
    await rejectsWithoutLeak(
      () => connect('ws://127.0.0.1:9/', { headers: { 'X-Evil': 'a\r\nInjected: 1' } }),
      (error) => error instanceof WebSocketError && error.code === 'ERR_INVALID_ARGUMENT',
    );
  });

  test('a refused handshake rejects with its status, headers and body text', async () => {
    const { port } = await ourServer({
      authorize: () => ({ status: 403, headers: { 'X-Reason': 'banned' }, body: 'go away' }),
    });
    await rejectsWithoutLeak(
      () => connect(`ws://127.0.0.1:${port}/`),
      (error) =>
        error instanceof HandshakeError &&
        error.status === 403 &&
        error.headers['x-reason'] === 'banned' &&
        /403 Forbidden: go away/.test(error.message),
    );
  });

  test('a closed port rejects with ECONNREFUSED in a HandshakeError (status 0)', async () => {
    const { port, sockets } = await silentServer();
    void sockets;
    const closed = createNetServer();
    const freePort = await listening(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.notEqual(freePort, port);
    await rejectsWithoutLeak(
      () => connect(`ws://127.0.0.1:${freePort}/`),
      (error) => error instanceof HandshakeError && error.status === 0 && /ECONNREFUSED/.test(error.message),
    );
  });

  test('a server that never answers: TimeoutError, and the server sees the socket close', async () => {
    const { port, sockets } = await silentServer();
    await rejectsWithoutLeak(
      () => connect(`ws://127.0.0.1:${port}/`, { handshakeTimeout: 150 }),
      (error) => error instanceof TimeoutError && /150 ms/.test(error.message),
    );
    assert.equal(sockets.length, 1);
    for (let i = 0; i < 100 && !sockets[0]?.destroyed; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sockets[0]?.destroyed, true);
  });

  test('aborting mid-handshake rejects with ERR_ABORTED carrying the reason', async () => {
    const { port, sockets } = await silentServer();
    const controller = new AbortController();
    const reason = new Error('user left');
    setTimeout(() => controller.abort(reason), 50);
    await rejectsWithoutLeak(
      () => connect(`ws://127.0.0.1:${port}/`, { signal: controller.signal }),
      (error) => error instanceof WebSocketError && error.code === 'ERR_ABORTED' && error.cause === reason,
    );
    assert.equal(sockets.length, 1);
  });

  test('an already aborted signal rejects without connecting', async () => {
    const { port, sockets } = await silentServer();
    await rejectsWithoutLeak(
      () => connect(`ws://127.0.0.1:${port}/`, { signal: AbortSignal.abort() }),
      (error) => error instanceof WebSocketError && error.code === 'ERR_ABORTED',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(sockets.length, 0);
  });

  test('a 101 with the wrong Sec-WebSocket-Accept fails the handshake (status 101)', async () => {
    const server = createNetServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n',
        );
      });
      socket.on('end', () => socket.destroy());
    });
    cleanups.push(() => server.close());
    const port = await listening(server);
    await rejectsWithoutLeak(
      () => connect(`ws://127.0.0.1:${port}/`),
      (error) => error instanceof HandshakeError && error.status === 101 && /Accept/.test(error.message),
    );
  });

  test('a server closing before it answers rejects with a HandshakeError that says so', async () => {
    const server = createNetServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.end());
    });
    cleanups.push(() => server.close());
    const port = await listening(server);
    await rejectsWithoutLeak(
      () => connect(`ws://127.0.0.1:${port}/`),
      (error) =>
        error instanceof HandshakeError && /closed the connection before answering/.test(error.message),
    );
  });
});

describe('redirects', { timeout: 30_000 }, () => {
  test('not followed by default: rejects with the 3xx and says how to follow', async () => {
    const { port: target } = await ourServer();
    const { port } = await httpServer(() => ({
      status: 302,
      headers: { Location: `ws://127.0.0.1:${target}/` },
    }));
    await rejectsWithoutLeak(
      () => connect(`ws://127.0.0.1:${port}/`),
      (error) =>
        error instanceof HandshakeError &&
        error.status === 302 &&
        error.headers.location === `ws://127.0.0.1:${target}/` &&
        /followRedirects/.test(error.message),
    );
  });

  for (const status of [301, 302, 303, 307, 308]) {
    test(`followRedirects follows ${status}, http: Location mapped to ws:`, async () => {
      const seen: string[] = [];
      const { port: target } = await ourServer({ authorize: (request) => void seen.push(request.url) });
      const { port } = await httpServer(() => ({
        status,
        headers: { Location: `http://127.0.0.1:${target}/final?from=${status}` },
      }));
      const connection = await connect(`ws://127.0.0.1:${port}/start`, { followRedirects: 1 });
      assert.equal(connection.readyState, 'open');
      connection.send('redirected');
      assert.deepEqual(await connection.read(), { type: 'text', data: 'redirected' });
      await closeConnection(connection);
      assert.deepEqual(seen, [`/final?from=${status}`], 'the WebSocket server got the redirected request');
    });
  }

  test('a relative Location resolves against the current URL', async () => {
    const { port } = await httpServer(() => ({ status: 307, headers: { Location: '/elsewhere' } }));
    // The redirect goes to the same http server, which redirects again: two hops allowed, the third refused.
    await rejectsWithoutLeak(
      () => connect(`ws://127.0.0.1:${port}/start`, { followRedirects: 2 }),
      (error) => error instanceof HandshakeError && error.status === 307,
    );
  });

  test('the redirect count is bounded', async () => {
    let hops = 0;
    const { port } = await httpServer(() => {
      hops++;
      return { status: 302, headers: { Location: '/again' } };
    });
    await rejectsWithoutLeak(
      () => connect(`ws://127.0.0.1:${port}/`, { followRedirects: 3 }),
      (error) => error instanceof HandshakeError && error.status === 302,
    );
    assert.equal(hops, 4);
  });

  test('wss -> ws is refused unless allowInsecureRedirects', async () => {
    const { key, cert } = await testCertificate();
    const { port: target } = await ourServer();
    const https = createHttpsServer({ key, cert });
    https.on('upgrade', (_request, socket) => {
      socket.end(`HTTP/1.1 301 Moved\r\nLocation: ws://127.0.0.1:${target}/\r\nContent-Length: 0\r\n\r\n`);
    });
    cleanups.push(() => {
      https.closeAllConnections();
      https.close();
    });
    const port = await listening(https);
    await rejectsWithoutLeak(
      () => connect(`wss://localhost:${port}/`, { ca: cert, followRedirects: 1 }),
      (error) => error instanceof HandshakeError && error.status === 301 && /drops TLS/.test(error.message),
    );
    const connection = await connect(`wss://localhost:${port}/`, {
      ca: cert,
      followRedirects: 1,
      allowInsecureRedirects: true,
    });
    connection.send('now in plain text');
    assert.deepEqual(await connection.read(), { type: 'text', data: 'now in plain text' });
    await closeConnection(connection);
  });

  test('credentials are kept on the same origin and dropped for another', async () => {
    const seen: Array<{ url: string; authorization: unknown; cookie: unknown; keep: unknown }> = [];
    const server = new WebSocketServer({
      onConnection: echo,
      authorize: (request) => {
        const { authorization, cookie, 'x-keep': keep } = request.headers;
        seen.push({ url: request.url, authorization, cookie, keep });
      },
    });
    cleanups.push(() => server.close({ timeout: 100 }));
    // One origin that redirects /same to its own /final, and /other to another origin's /final:
    // 127.0.0.1 -> localhost is another host, so another origin.
    const http = createHttpServer();
    http.on('upgrade', (request, socket, head) => {
      if (request.url === '/final') {
        void server.handleUpgrade(request, socket, head);
        return;
      }
      const host = request.url === '/same' ? '127.0.0.1' : 'localhost';
      const { port: own } = http.address() as AddressInfo;
      socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://${host}:${own}/final\r\nContent-Length: 0\r\n\r\n`);
    });
    cleanups.push(() => {
      http.closeAllConnections();
      http.close();
    });
    const port = await listening(http);
    const headers = { Authorization: 'Bearer secret', Cookie: 'session=1', 'X-Keep': '1' };
    for (const path of ['/same', '/other']) {
      const connection = await connect(`ws://127.0.0.1:${port}${path}`, { followRedirects: 1, headers });
      await closeConnection(connection);
    }
    assert.deepEqual(seen, [
      { url: '/final', authorization: 'Bearer secret', cookie: 'session=1', keep: '1' },
      { url: '/final', authorization: undefined, cookie: undefined, keep: '1' },
    ]);
  });
});
