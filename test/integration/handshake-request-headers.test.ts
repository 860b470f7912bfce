// HandshakeRequest.headers as its TSDoc describes it: repeated fields joined by ", ", set-cookie a
// list, through listen() (our parser) and through attach() (Node's IncomingMessage) alike.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { type HandshakeRequest, WebSocketServer } from '../../src/index.js';
import { openRaw, readHead } from '../helpers/raw-http.js';

const request = [
  'GET /headers HTTP/1.1',
  'Host: 127.0.0.1',
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version: 13',
  'X-Tag: first',
  'X-Tag: second',
  'Set-Cookie: a=1',
  'Set-Cookie: b=2',
  'Cookie: c=3',
  'Cookie: d=4',
  '',
  '',
].join('\r\n');

async function headersSeenBy(mode: 'listen' | 'attach'): Promise<HandshakeRequest['headers']> {
  let seen: HandshakeRequest['headers'] | undefined;
  const server = new WebSocketServer({
    authorize: (incoming) => {
      seen = incoming.headers;
      return true;
    },
  });
  const http = mode === 'attach' ? createServer() : undefined;
  let port: number;
  if (http) {
    server.attach(http);
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    port = (http.address() as AddressInfo).port;
  } else {
    port = (await server.listen(0, '127.0.0.1')).port;
  }
  const socket = await openRaw(port);
  try {
    socket.write(request);
    assert.equal((await readHead(socket)).answer.status, 101);
  } finally {
    socket.destroy();
    await server.close({ timeout: 100 });
    http?.closeAllConnections();
    http?.close();
  }
  assert.ok(seen);
  return seen;
}

describe('HandshakeRequest.headers', () => {
  for (const mode of ['listen', 'attach'] as const) {
    test(`through ${mode}: lower-case names, a repeated field joined by ", ", set-cookie a list`, async () => {
      const headers = await headersSeenBy(mode);
      assert.equal(headers['x-tag'], 'first, second');
      assert.deepEqual(headers['set-cookie'], ['a=1', 'b=2']);
      assert.equal(headers.cookie, mode === 'attach' ? 'c=3; d=4' : 'c=3, d=4');
      assert.equal(headers['X-Tag'], undefined);
      assert.equal(headers['x-absent'], undefined);
    });
  }
});
