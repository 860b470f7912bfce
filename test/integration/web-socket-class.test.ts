// The WebSocket class over real sockets, for what the browser cross-check cannot show: bufferedAmount
// between tasks, the send buffer's bound, Blob order against close(), reading paused for a slow
// script, the Node-only options, and the cause carried by error events.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { CloseEvent } from '../../src/client/web-socket/close-event.js';
import { WebSocket } from '../../src/client/web-socket/web-socket.js';
import type { Connection } from '../../src/connection/connection.js';
import type { CloseInfo, Message } from '../../src/connection/message.js';
import { HandshakeError, ProtocolError, WebSocketError } from '../../src/errors.js';
import type { WebSocketServerOptions } from '../../src/server/server-options.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Served {
  readonly port: number;
  readonly url: string;
  /** The server side of the next connection. */
  next(): Promise<Connection>;
}

async function serve(
  onConnection: (connection: Connection) => void,
  options: WebSocketServerOptions = {},
): Promise<Served> {
  const waiting: Array<(connection: Connection) => void> = [];
  const arrived: Connection[] = [];
  const server = new WebSocketServer({
    ...options,
    onConnection: (connection) => {
      onConnection(connection);
      const waiter = waiting.shift();
      if (waiter) waiter(connection);
      else arrived.push(connection);
    },
  });
  cleanups.push(() => server.close({ timeout: 100 }));
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    port,
    url: `ws://127.0.0.1:${port}/`,
    next: () => {
      const ready = arrived.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

function echo(connection: Connection): void {
  connection.onMessage((message) => {
    if (connection.readyState === 'open') connection.send(message.data);
  });
}

/** A WebSocket closed (terminated if need be) after the test. */
function open(
  url: string,
  protocols?: string | string[],
  options?: ConstructorParameters<typeof WebSocket>[2],
): WebSocket {
  const socket = new WebSocket(url, protocols, options);
  cleanups.push(() => {
    if (socket.readyState === WebSocket.CLOSED) return;
    const closed = once(socket, 'close');
    if (socket.readyState === WebSocket.OPEN) socket.close();
    return closed;
  });
  return socket;
}

function once<E extends Event = Event>(target: EventTarget, type: string, timeoutMs = 10_000): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeoutMs} ms`)), timeoutMs);
    target.addEventListener(
      type,
      (event) => {
        clearTimeout(timer);
        resolve(event as E);
      },
      { once: true },
    );
  });
}

/** Every event of `socket`, as [type, readyState, detail]. */
function record(socket: WebSocket): unknown[][] {
  const events: unknown[][] = [];
  for (const type of ['open', 'message', 'error', 'close']) {
    socket.addEventListener(type, (event) => {
      const detail =
        event instanceof CloseEvent
          ? [event.code, event.reason, event.wasClean]
          : event instanceof MessageEvent
            ? [event.data]
            : [];
      events.push([type, socket.readyState, ...detail]);
    });
  }
  return events;
}

const nextTask = () => new Promise((resolve) => setImmediate(resolve));

/** A TCP server that answers the upgrade with a 101 and then does `then` with the raw socket. */
async function rawServer(then: (socket: Socket) => void): Promise<string> {
  const server: NetServer = createNetServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (head) => {
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head.toString('latin1'))?.[1] ?? '';
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      then(socket);
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('WebSocket: events in order, as tasks', () => {
  test('open, messages, close; readyState at each; listeners added after the constructor still see open', async () => {
    const { url } = await serve(echo);
    const socket = open(url);
    await nextTask(); // the constructor returned long ago: open is a task, not a synchronous call
    const events = record(socket);
    await once(socket, 'open');
    socket.send('one');
    socket.send(new Uint8Array([1, 2]));
    socket.binaryType = 'arraybuffer';
    await once(socket, 'message');
    await once(socket, 'message');
    socket.close(4000, 'bye');
    assert.equal(socket.readyState, WebSocket.CLOSING);
    await once(socket, 'close');
    assert.deepEqual(events.slice(0, 2), [
      ['open', 1],
      ['message', 1, 'one'],
    ]);
    assert.deepEqual(new Uint8Array(events[2]?.[2] as ArrayBuffer), new Uint8Array([1, 2]));
    assert.deepEqual(events[3], ['close', 3, 4000, '', true]);
  });

  test("the server's Close: messages sent before it are delivered, then CLOSING, then close", async () => {
    const { url } = await serve((connection) => {
      connection.send('last words');
      connection.close(4001, 'done').catch(() => {});
    });
    const socket = open(url);
    const events = record(socket);
    const states: number[] = [];
    socket.addEventListener('message', () => {
      // Polled from a timer: the close handshake has started once the message is out.
      setTimeout(() => states.push(socket.readyState), 0);
    });
    await once(socket, 'close');
    assert.deepEqual(events, [
      ['open', 1],
      ['message', 1, 'last words'],
      ['close', 3, 4001, 'done', true],
    ]);
    assert.ok(states.every((state) => state === WebSocket.CLOSING || state === WebSocket.CLOSED));
  });

  test('a message that arrives after close() was called gets no event', async () => {
    const { url, next } = await serve(echo);
    const socket = open(url);
    const events = record(socket);
    await once(socket, 'open');
    const server = await next();
    server.send('crosses the close');
    socket.close(1000);
    await once(socket, 'close');
    assert.deepEqual(
      events.map((event) => event[0]),
      ['open', 'close'],
    );
  });
});

describe('WebSocket: bufferedAmount (WHATWG WebSockets)', () => {
  test('grows at once with each send, holds for the rest of the task, and falls in a later task', async () => {
    const { url } = await serve(echo);
    const socket = open(url);
    await once(socket, 'open');
    socket.send('abc');
    socket.send(new Uint8Array(5));
    assert.equal(socket.bufferedAmount, 8);
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(socket.bufferedAmount, 8, 'unchanged within the task (microtasks included)');
    for (let i = 0; i < 20 && socket.bufferedAmount > 0; i++) await nextTask();
    assert.equal(socket.bufferedAmount, 0);
  });

  test('past maxBufferedAmount the socket is flagged as full: error (ERR_OVERLOADED), then close 1006', async () => {
    const { url, next } = await serve(() => {});
    const socket = open(url, undefined, { maxBufferedAmount: 1000 });
    const events = record(socket);
    await once(socket, 'open');
    (await next()).pause(); // the server stops reading: sends pile up
    const error = once<Event & { error?: unknown }>(socket, 'error');
    socket.send(new Uint8Array(600));
    socket.send(new Uint8Array(600));
    const event = await error;
    assert.ok(event.error instanceof WebSocketError);
    assert.equal(event.error.code, 'ERR_OVERLOADED');
    await once(socket, 'close');
    assert.deepEqual(events.slice(1), [
      ['error', 3],
      ['close', 3, 1006, '', false],
    ]);
  });
});

describe('WebSocket: send() order', () => {
  test('a Blob, what follows it, and close() go out in call order', async () => {
    const received: Message[] = [];
    let closeInfo: Promise<CloseInfo> | undefined;
    const { url } = await serve((connection) => {
      connection.onMessage((message) => received.push(message));
      closeInfo = connection.closed;
    });
    const socket = open(url);
    await once(socket, 'open');
    socket.send(new Blob([new Uint8Array(256 * 1024).fill(7)]));
    socket.send('after the blob');
    socket.send(new Blob(['text blob']));
    socket.close(4002, 'after everything');
    await once(socket, 'close');
    assert.deepEqual(
      received.map((message) => [message.type, message.data.length]),
      [
        ['binary', 256 * 1024],
        ['text', 14],
        ['binary', 9],
      ],
    );
    const info = await closeInfo;
    assert.deepEqual([info?.code, info?.reason], [4002, 'after everything']);
  });

  test("a send after close() is not sent (the bytes only count); the peer's Close ends sending too", async () => {
    const received: Message[] = [];
    const { url } = await serve((connection) => connection.onMessage((message) => received.push(message)));
    const socket = open(url);
    await once(socket, 'open');
    socket.send('before');
    socket.close(1000);
    socket.send('after');
    assert.equal(socket.bufferedAmount, 'before'.length + 'after'.length);
    await once(socket, 'close');
    assert.deepEqual(
      received.map((message) => message.data),
      ['before'],
    );
  });
});

describe('WebSocket: reading pauses while message events wait', () => {
  test('with a tiny maxQueuedBytes every message still arrives, whole and in order', async () => {
    const count = 200;
    const { url } = await serve((connection) => {
      for (let i = 0; i < count; i++) connection.send(`message ${i} `.padEnd(1000, '.'));
      connection.close(1000).catch(() => {});
    });
    const socket = open(url, undefined, { maxQueuedBytes: 2000 });
    const seen: string[] = [];
    socket.onmessage = (event: MessageEvent) => {
      seen.push((event.data as string).split(' ')[1] as string);
    };
    const closed = await once<CloseEvent>(socket, 'close');
    assert.equal(closed.code, 1000);
    assert.deepEqual(
      seen,
      Array.from({ length: count }, (_, i) => String(i)),
    );
  });
});

describe('WebSocket: failures carry their cause for Node users (event.error)', () => {
  test('a refused handshake: error with the HandshakeError, close 1006, never open', async () => {
    const { url } = await serve(() => {}, { authorize: () => ({ status: 403 }) });
    const socket = open(url);
    const events = record(socket);
    const error = once<Event & { error?: unknown }>(socket, 'error');
    const event = await error;
    assert.ok(event.error instanceof HandshakeError);
    assert.equal(event.error.status, 403);
    await once(socket, 'close');
    assert.deepEqual(events, [
      ['error', 3],
      ['close', 3, 1006, '', false],
    ]);
  });

  test('invalid UTF-8 from the server: the ProtocolError (1007), then close 1006', async () => {
    const url = await rawServer((socket) => socket.write(Buffer.from('8102ff41', 'hex')));
    const socket = open(url);
    const event = await once<Event & { error?: unknown }>(socket, 'error');
    assert.ok(event.error instanceof ProtocolError);
    assert.equal(event.error.closeCode, 1007);
    const closed = await once<CloseEvent>(socket, 'close');
    assert.deepEqual([closed.code, closed.wasClean], [1006, false]);
  });

  test('subprotocols offered and none chosen: a HandshakeError; close() while CONNECTING: ERR_ABORTED', async () => {
    const { url } = await serve(() => {});
    const offered = open(url, ['chat']);
    const event = await once<Event & { error?: unknown }>(offered, 'error');
    assert.ok(event.error instanceof HandshakeError);
    assert.match(event.error.message, /none of the subprotocols offered \(chat\)/);

    const abandoned = open(url);
    const events = record(abandoned);
    abandoned.close(4000);
    const aborted = await once<Event & { error?: unknown }>(abandoned, 'error');
    assert.equal((aborted.error as WebSocketError).code, 'ERR_ABORTED');
    await once(abandoned, 'close');
    assert.deepEqual(events, [
      ['error', 3],
      ['close', 3, 1006, '', false],
    ]);
  });

  test('credentials in the URL are not sent: the connection fails (ERR_INVALID_ARGUMENT)', async () => {
    const { port } = await serve(() => {});
    const socket = open(`ws://user:secret@127.0.0.1:${port}/`);
    const event = await once<Event & { error?: unknown }>(socket, 'error');
    assert.equal((event.error as WebSocketError).code, 'ERR_INVALID_ARGUMENT');
    assert.equal((await once<CloseEvent>(socket, 'close')).code, 1006);
  });

  test('a server that never answers the Close: closeTimeout, then close 1006 with no error event', async () => {
    const url = await rawServer((socket) => socket.on('data', () => {}));
    const socket = open(url, undefined, { closeTimeout: 200 });
    const events = record(socket);
    await once(socket, 'open');
    socket.close(1000);
    await once(socket, 'close');
    assert.deepEqual(events, [
      ['open', 1],
      ['close', 3, 1006, '', false],
    ]);
  });

  test('the server drops TCP: close 1006 with no error event and no reason', async () => {
    const url = await rawServer((socket) => setTimeout(() => socket.destroy(), 20));
    const socket = open(url);
    const events = record(socket);
    await once(socket, 'close');
    assert.deepEqual(events, [
      ['open', 1],
      ['close', 3, 1006, '', false],
    ]);
  });
});

describe('WebSocket: Node-only options and defaults', () => {
  test('permessage-deflate is offered by default (as browsers do) and can be turned off', async () => {
    const { url } = await serve(() => {}, { perMessageDeflate: true });
    const deflating = open(url);
    await once(deflating, 'open');
    assert.match(deflating.extensions, /^permessage-deflate/);
    const plain = open(url, undefined, { perMessageDeflate: false });
    await once(plain, 'open');
    assert.equal(plain.extensions, '');
  });

  test('headers and origin reach the server', async () => {
    const { url, next } = await serve(() => {});
    const socket = open(url, undefined, {
      headers: { authorization: 'Bearer t' },
      origin: 'https://app.example',
    });
    const server = await next();
    assert.equal(server.request?.headers.authorization, 'Bearer t');
    assert.equal(server.request?.headers.origin, 'https://app.example');
    await once(socket, 'open');
  });

  test('close() with no arguments: the Close frame carries no code (the server sees 1005), as in browsers', async () => {
    const { url, next } = await serve(() => {});
    const socket = open(url);
    await once(socket, 'open');
    const server = await next();
    const closeEvent = once<CloseEvent>(socket, 'close');
    socket.close();
    const info = await server.closed;
    assert.equal(info.code, 1005);
    assert.equal((await closeEvent).code, 1005);
  });
});
