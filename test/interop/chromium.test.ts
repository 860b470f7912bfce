// Interop with headless Chromium (Debian /usr/bin/chromium driven by playwright-core): the browser's
// own WebSocket against our server. The page comes from our test http server on 127.0.0.1, which also
// takes the upgrades (attach), so this doubles as a test of sharing a port with ordinary routes.
import assert from 'node:assert/strict';
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Connection } from '../../src/connection/connection.js';
import type { WebSocketServerOptions } from '../../src/server/server-options.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { testCertificate } from '../helpers/certs.js';
import { BROWSER_PAGE } from './harness/browser-page.js';
import { launchChromium } from './harness/launch-chromium.js';
import { type MessageSummary, summarize } from './harness/our-server.js';
import { pattern, SIXTEEN_MIB, sha256 } from './harness/pattern.js';
import { chromium, skipUnless } from './harness/peer-availability.js';

const skip = skipUnless(chromium());

interface BrowserEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** Our server attached to an http(s) server that also serves the page; connections keep their raw socket. */
class PageServer {
  readonly received: MessageSummary[] = [];
  readonly #arrived: Array<{ connection: Connection; socket: Socket }> = [];
  readonly ws: WebSocketServer;
  readonly http: HttpServer;

  constructor(http: HttpServer, options: WebSocketServerOptions = {}) {
    this.http = http;
    this.ws = new WebSocketServer(options);
    http.on('request', (_request: IncomingMessage, response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(BROWSER_PAGE);
    });
    // handleUpgrade (not attach) so that a test can reach under the connection to write a bad frame.
    http.on('upgrade', async (request: IncomingMessage, socket: Socket, head: Buffer) => {
      const connection = await this.ws.handleUpgrade(request, socket, head);
      if (connection === undefined) return;
      connection.onMessage((message) => {
        this.received.push(summarize(message));
        connection.send(message.data);
      });
      this.#arrived.push({ connection, socket });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    return (this.http.address() as AddressInfo).port;
  }

  /** The connection of the socket the page just opened (its open event follows our 101). */
  latest(): { connection: Connection; socket: Socket } {
    const last = this.#arrived.pop();
    this.#arrived.length = 0;
    assert.ok(last, 'no connection arrived');
    return last;
  }

  async close(): Promise<void> {
    await this.ws.close({ timeout: 500 });
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

/** Calls a function the page defined on its global object (the test's tsconfig has no DOM types). */
function callPage(target: Page, name: string, ...args: unknown[]): Promise<unknown> {
  return target.evaluate(
    ([fn, rest]) =>
      (globalThis as unknown as Record<string, (...a: unknown[]) => unknown>)[fn as string]?.(
        ...(rest as unknown[]),
      ),
    [name, args] as const,
  );
}

describe('our server <- headless Chromium', { skip, timeout: 90_000 }, () => {
  let browser: Browser;
  let page: Page;
  let server: PageServer;
  let port: number;

  before(async () => {
    browser = await launchChromium();
    server = new PageServer(createHttpServer(), { perMessageDeflate: true });
    port = await server.listen();
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(
    url = `ws://127.0.0.1:${port}/`,
  ): Promise<{ id: number; connection: Connection; socket: Socket }> {
    const opened = (await callPage(page, 'openSocket', url)) as { id: number };
    return { id: opened.id, ...server.latest() };
  }

  function call(name: string, ...args: unknown[]): Promise<unknown> {
    return callPage(page, name, ...args);
  }

  function nextEvent(id: number, name: string, timeoutMs = 30_000): Promise<BrowserEvent> {
    return call('nextEvent', id, name, timeoutMs) as Promise<BrowserEvent>;
  }

  test('text and binary round-trip; the page was served from the same port', async () => {
    const { id } = await open();
    await call('sendText', id, 'héllo chromium');
    assert.equal((await nextEvent(id, 'message')).text, 'héllo chromium');
    await call('sendBinary', id, [0, 1, 2, 255]);
    const binary = await nextEvent(id, 'message');
    assert.deepEqual([binary.type, binary.sha256], ['binary', sha256(Buffer.from([0, 1, 2, 255]))]);
    await call('closeSocket', id, 1000, '');
  });

  test('a fragmented message from our server arrives whole', async () => {
    const { id, connection } = await open();
    const writer = connection.writeStream('text').getWriter();
    for (const part of ['frag', 'men', 'ted']) await writer.write(part);
    await writer.close();
    assert.equal((await nextEvent(id, 'message')).text, 'fragmented');
    await call('closeSocket', id, 1000, '');
  });

  test('16 MiB binary both ways', async () => {
    const { id } = await open();
    const before = server.received.length;
    await call('sendPattern', id, SIXTEEN_MIB);
    const message = await nextEvent(id, 'message', 60_000);
    const expected = sha256(pattern(SIXTEEN_MIB));
    assert.deepEqual([message.length, message.sha256], [SIXTEEN_MIB, expected]);
    assert.deepEqual(server.received[before], { type: 'binary', length: SIXTEEN_MIB, sha256: expected });
    await call('closeSocket', id, 1000, '');
  });

  test('our ping is answered by the browser', async () => {
    const { id, connection } = await open();
    assert.ok((await connection.ping('are you there')) >= 0);
    await call('closeSocket', id, 1000, '');
  });

  test('close initiated by the browser', async () => {
    const { id, connection } = await open();
    await call('closeSocket', id, 4000, 'browser bye');
    const info = await connection.closed;
    assert.deepEqual([info.code, info.reason, info.wasClean], [4000, 'browser bye', true]);
    const closed = await nextEvent(id, 'close');
    assert.deepEqual([closed.code, closed.wasClean], [4000, true]);
  });

  test('close initiated by our server', async () => {
    const { id, connection } = await open();
    const info = await connection.close(4001, 'server bye');
    assert.equal(info.wasClean, true);
    const closed = await nextEvent(id, 'close');
    assert.deepEqual([closed.code, closed.reason, closed.wasClean], [4001, 'server bye', true]);
  });

  test('abnormal closure: our server drops TCP, the browser reports 1006', async () => {
    const { id, connection } = await open();
    connection.terminate();
    const closed = await nextEvent(id, 'close');
    assert.deepEqual([closed.code, closed.wasClean], [1006, false]);
  });

  test('a protocol error from our side: Chromium fails it with 1002 (1006 in the page)', async () => {
    const { id, connection, socket } = await open();
    socket.write(Buffer.from('8300', 'hex')); // reserved opcode, written under the connection
    const closed = await nextEvent(id, 'close');
    assert.deepEqual([closed.code, closed.wasClean], [1006, false]);
    // Chromium fails the connection with a Close frame of its own: 1002, reason "Unknown opcode".
    const info = await connection.closed;
    assert.equal(info.code, 1002);
  });

  test('leaving the page closes with 1001 (going away)', async () => {
    const context = page.context();
    const other = await context.newPage();
    await other.goto(`http://127.0.0.1:${port}/`);
    await callPage(other, 'openSocket', `ws://127.0.0.1:${port}/`);
    const { connection } = server.latest();
    await other.close();
    const info = await connection.closed;
    assert.deepEqual([info.code, info.wasClean], [1001, true]);
  });

  test('permessage-deflate is negotiated with Chromium', async () => {
    const { id, connection } = await open();
    assert.match(connection.extensions, /^permessage-deflate/);
    const text = 'chromium deflate '.repeat(1000);
    await call('sendText', id, text);
    assert.equal((await nextEvent(id, 'message')).sha256, sha256(text));
    await call('closeSocket', id, 1000, '');
  });

  test('wss with a certificate made by the test', async () => {
    const { key, cert } = await testCertificate();
    const secure = new PageServer(createHttpsServer({ key, cert }) as unknown as HttpServer);
    const securePort = await secure.listen();
    try {
      const securePage = await page.context().newPage();
      await securePage.goto(`https://127.0.0.1:${securePort}/`);
      const opened = (await callPage(securePage, 'openSocket', `wss://127.0.0.1:${securePort}/`)) as {
        id: number;
      };
      const { connection } = secure.latest();
      assert.equal((connection.request as { secure?: boolean }).secure, true);
      await callPage(securePage, 'sendText', opened.id, 'tls from chromium');
      const message = (await callPage(securePage, 'nextEvent', opened.id, 'message', 30_000)) as BrowserEvent;
      assert.equal(message.text, 'tls from chromium');
      await securePage.close();
    } finally {
      await secure.close();
    }
  });
});
