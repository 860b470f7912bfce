// docs/migrating-from-ws.md: every fullduplex example runs as written (port 8080 becomes a free port,
// the heartbeat's 30 s becomes a fraction of a second) and a `ws` client checks what it does.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { WebSocketServer } from '../../src/index.js';

interface Example {
  readonly title: string;
  readonly code: string;
}

/** The guide's `## N.` sections: each has a ```js block (ws) and then a ```ts block (fullduplex). */
function examples(): Example[] {
  const guide = readFileSync('docs/migrating-from-ws.md', 'utf8');
  return guide
    .split(/^## /m)
    .slice(1)
    .map((section) => {
      const title = section.slice(0, section.indexOf('\n'));
      const blocks = [...section.matchAll(/```(js|ts)\n([\s\S]*?)```/g)];
      assert.deepEqual(
        blocks.map((block) => block[1]),
        ['js', 'ts'],
        `section "${title}" shows ws, then fullduplex`,
      );
      return { title, code: (blocks[1] as RegExpMatchArray)[2] as string };
    });
}

interface Running {
  server: WebSocketServer;
  http?: HttpServer;
  port: number;
}

// Inside the package, so that `from 'fullduplex'` resolves through the exports map to dist/.
const folder = mkdtempSync(join(process.cwd(), '.build', 'migrating-'));
after(() => rmSync(folder, { recursive: true, force: true }));

async function start(example: Example, index: number): Promise<Running> {
  const usesHttp = /const http = createServer/.test(example.code);
  const code = example.code
    .replaceAll('8080', '0')
    .replace('pingInterval: 30_000', 'pingInterval: 100')
    .replace('pongTimeout: 10_000', 'pongTimeout: 300');
  const file = join(folder, `example-${index}.mjs`);
  writeFileSync(file, `${code}\nexport { server${usesHttp ? ', http' : ''} };\n`);
  const module = (await import(file)) as { server: WebSocketServer; http?: HttpServer };
  if (module.http) {
    if (!module.http.listening) await once(module.http, 'listening');
    return { server: module.server, http: module.http, port: (module.http.address() as AddressInfo).port };
  }
  return { server: module.server, port: (module.server.address() as AddressInfo).port };
}

async function stop(running: Running): Promise<void> {
  await running.server.close({ timeout: 1000 });
  if (running.http) {
    running.http.closeAllConnections();
    await new Promise((resolve) => running.http?.close(resolve));
  }
}

interface Arrival {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** Messages per socket, collected from the start: a greeting can arrive in the same tick as 'open'. */
const inboxes = new WeakMap<WebSocket, { arrived: Arrival[]; waiting: Array<(arrival: Arrival) => void> }>();

function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const socket = new WebSocket(url, options);
  const inbox = { arrived: [] as Arrival[], waiting: [] as Array<(arrival: Arrival) => void> };
  inboxes.set(socket, inbox);
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    const waiter = inbox.waiting.shift();
    if (waiter) waiter({ data, isBinary });
    else inbox.arrived.push({ data, isBinary });
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextArrival(socket: WebSocket): Promise<Arrival> {
  const inbox = inboxes.get(socket);
  assert.ok(inbox);
  const arrived = inbox.arrived.shift();
  if (arrived) return Promise.resolve(arrived);
  return new Promise((resolve) => inbox.waiting.push(resolve));
}

async function next(socket: WebSocket): Promise<string> {
  return (await nextArrival(socket)).data.toString();
}

async function closeAll(...sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map((socket) => {
      if (socket.readyState === WebSocket.CLOSED) return undefined;
      const closed = once(socket, 'close');
      socket.close();
      return closed;
    }),
  );
}

/** What each example must do, checked from the outside with a `ws` client. */
const checks: Array<(url: string, running: Running) => Promise<void>> = [
  async (url) => {
    const socket = await open(url);
    socket.send('text');
    const text = await nextArrival(socket);
    assert.equal(text.data.toString(), 'text');
    assert.equal(text.isBinary, false);
    socket.send(Buffer.from([1, 2, 3]));
    const bytes = await nextArrival(socket);
    assert.deepEqual([...bytes.data], [1, 2, 3]);
    assert.equal(bytes.isBinary, true);
    await closeAll(socket);
  },
  async (url) => {
    const page = await fetch(url.replace('ws://', 'http://'));
    assert.equal(await page.text(), 'hello');
    const socket = await open(`${url}ws`);
    assert.equal(await next(socket), 'welcome');
    await closeAll(socket);
  },
  async (url) => {
    const socket = await open(`${url}live`);
    assert.equal(await next(socket), 'live');
    await closeAll(socket);
    const elsewhere = new WebSocket(`${url}other`);
    const [error] = (await once(elsewhere, 'error')) as [Error];
    assert.match(error.message, /socket hang up/);
  },
  async (url) => {
    const refused = new WebSocket(url);
    const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }];
    assert.equal(response.statusCode, 401);
    refused.on('error', () => undefined);
    refused.terminate();
    const socket = await open(url, { headers: { authorization: 'Bearer secret' } });
    assert.equal(await next(socket), 'hello from 127.0.0.1');
    await closeAll(socket);
  },
  async (url) => {
    const first = await open(url);
    const second = await open(url);
    first.send('how many?');
    assert.equal(await next(first), '2');
    await closeAll(second);
    first.send('and now?');
    assert.equal(await next(first), '1');
    await closeAll(first);
  },
  async (url) => {
    const socket = await open(url);
    const closed = once(socket, 'close');
    socket.send('still here');
    socket.send('bye');
    const [code] = (await closed) as [number];
    assert.equal(code, 1006);
  },
  async (url) => {
    // A client that answers pings stays; one that does not (autoPong off) is cut off after pongTimeout.
    const answering = await open(url);
    let pings = 0;
    answering.on('ping', () => pings++);
    const silent = await open(url, { autoPong: false });
    const [code] = (await once(silent, 'close')) as [number];
    assert.equal(code, 1006);
    assert.ok(pings >= 1, `${pings} pings`);
    assert.equal(answering.readyState, WebSocket.OPEN);
    await closeAll(answering);
  },
  async (url) => {
    const sockets = await Promise.all([open(url), open(url), open(url)]);
    const received = sockets.map((socket) => next(socket));
    sockets[1]?.send('to everyone');
    assert.deepEqual(await Promise.all(received), ['to everyone', 'to everyone', 'to everyone']);
    await closeAll(...sockets);
  },
  async (url) => {
    const socket = await open(url);
    socket.send(new Uint8Array([1, 2, 3]));
    assert.equal(await next(socket), 'binary 3 bytes');
    socket.send('hi');
    assert.equal(await next(socket), 'text hi');
    await closeAll(socket);
  },
  async (url) => {
    const socket = await open(url);
    socket.send('shout');
    assert.equal(await next(socket), 'SHOUT');
    await closeAll(socket);
  },
];

describe('docs/migrating-from-ws.md', () => {
  const all = examples();
  test('has the ten sections, each with a ws example and a fullduplex example', () => {
    assert.equal(all.length, 10);
    assert.equal(checks.length, all.length);
  });

  all.forEach((example, index) => {
    test(`${example.title}: the fullduplex example runs and behaves as described`, async () => {
      const running = await start(example, index);
      try {
        await (checks[index] as (url: string, running: Running) => Promise<void>)(
          `ws://127.0.0.1:${running.port}/`,
          running,
        );
      } finally {
        await stop(running);
      }
    });
  });
});
