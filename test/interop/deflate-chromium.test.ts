// permessage-deflate with headless Chromium, which offers `permessage-deflate; client_max_window_bits` on
// every connection. The page sends messages that Chromium compresses; our server echoes them compressed;
// the page checks every echo. Cases: defaults, and no-context-takeover with reduced windows imposed by us.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { PerMessageDeflateOptions } from '../../src/protocol/extensions/permessage-deflate.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { launchChromium } from './harness/launch-chromium.js';
import { chromium, skipUnless } from './harness/peer-availability.js';

const skip = skipUnless(chromium());

interface PageResult {
  readonly extensions: string;
  readonly echoed: boolean[];
  readonly error?: string;
}

/** Runs in the page: sends texts and binaries, compares each echo, reports what the socket negotiated. */
async function pageRoundTrip(url: string): Promise<PageResult> {
  function jsonLike(count: number, seed: number): string {
    const items: string[] = [];
    for (let i = 0; i < count; i++) {
      items.push(`{"id":${i + seed},"user":"user-${(i * 7919 + seed) % 500}","ok":${i % 2 === 0}}`);
    }
    return `[${items.join(',')}]`;
  }
  const texts = [jsonLike(2000, 1), jsonLike(2000, 2), 'short', '', jsonLike(40, 3)];
  const binary = new Uint8Array(200_000);
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 31 + 7) & 0xff;
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  const received: Array<string | ArrayBuffer> = [];
  let wake: (() => void) | undefined;
  socket.onmessage = (event) => {
    received.push(event.data as string | ArrayBuffer);
    wake?.();
  };
  const next = (count: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no echo within 10 s')), 10_000);
      wake = () => {
        if (received.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      };
      wake();
    });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error('socket error'));
    });
    const echoed: boolean[] = [];
    for (const text of texts) {
      socket.send(text);
      await next(received.length + 1);
      echoed.push(received[received.length - 1] === text);
    }
    socket.send(binary);
    await next(received.length + 1);
    const back = new Uint8Array(received[received.length - 1] as ArrayBuffer);
    echoed.push(back.length === binary.length && back.every((value, index) => value === binary[index]));
    const extensions = socket.extensions;
    socket.close(1000, 'done');
    return { extensions, echoed };
  } catch (error) {
    return { extensions: socket.extensions, echoed: [], error: String(error) };
  }
}

interface Case {
  readonly name: string;
  readonly ours: PerMessageDeflateOptions | true;
  readonly header: string;
}

const cases: Case[] = [
  { name: 'defaults', ours: true, header: 'permessage-deflate' },
  {
    name: 'no context takeover both ways and reduced windows (server 8, client 9), imposed by our server',
    ours: {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 8,
      clientMaxWindowBits: 9,
    },
    header:
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=9',
  },
];

describe('interop: Chromium client, our server, permessage-deflate', { skip }, () => {
  let browser: Browser | undefined;

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  for (const c of cases) {
    test(c.name, { timeout: 60_000 }, async () => {
      const offers: unknown[] = [];
      const server = new WebSocketServer({
        perMessageDeflate: c.ours,
        onConnection: (connection) => {
          offers.push(connection.request?.headers['sec-websocket-extensions']);
          connection.onMessage((message) => connection.send(message.data, { compress: true }));
        },
      });
      const { port } = await server.listen(0);
      const page = await (browser as Browser).newPage();
      try {
        const result = await page.evaluate(pageRoundTrip, `ws://127.0.0.1:${port}/`);
        assert.equal(result.error, undefined);
        assert.equal(result.extensions, c.header);
        assert.deepEqual(result.echoed, [true, true, true, true, true, true]);
        // What Chromium offers by default (the case the issue cares about: every browser connection).
        assert.deepEqual(offers, ['permessage-deflate; client_max_window_bits']);
      } finally {
        await page.close();
        await server.close({ timeout: 1000 });
      }
    });
  }
});
