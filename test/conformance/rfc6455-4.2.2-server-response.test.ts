// RFC 6455 4.2.2 "Sending the Server's Opening Handshake".
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HandshakeError } from '../../src/errors.js';
import { nodeSha1 } from '../../src/node/crypto.js';
import { buildAcceptResponse } from '../../src/protocol/handshake/build-accept-response.js';
import { buildErrorResponse } from '../../src/protocol/handshake/build-error-response.js';
import { validateUpgradeRequest } from '../../src/protocol/handshake/validate-upgrade-request.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const request = (headers: Record<string, string> = {}) => ({
  method: 'GET',
  url: '/chat',
  httpVersion: '1.1',
  headers: {
    host: 'server.example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
    ...headers,
  },
});

describe("RFC 6455 4.2.2 Sending the Server's Opening Handshake", () => {
  test('step 4: an origin the server refuses MUST get an HTTP error -> 403 Forbidden', () => {
    const verifyOrigin = (origin: string | undefined) => origin === 'http://example.com';
    let caught: unknown;
    try {
      validateUpgradeRequest(request({ origin: 'http://evil.example' }), { verifyOrigin });
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof HandshakeError);
    assert.equal(caught.status, 403);
    assert.equal(
      buildErrorResponse(caught.status, caught.message, caught.headers),
      'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 18\r\n\r\norigin not allowed',
    );
    assert.equal(
      validateUpgradeRequest(request({ origin: 'http://example.com' }), { verifyOrigin }).origin,
      'http://example.com',
    );
  });

  test('step 4: an unsupported version MUST be answered with an error and |Sec-WebSocket-Version| listing 13', () => {
    let caught: unknown;
    try {
      validateUpgradeRequest(request({ 'sec-websocket-version': '7' }));
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof HandshakeError);
    const text = buildErrorResponse(caught.status, caught.message, caught.headers);
    assert.match(text, /^HTTP\/1\.1 426 Upgrade Required\r\n/);
    assert.match(text, /\r\nSec-WebSocket-Version: 13\r\n\r\n/);
  });

  test('step 5: status line 101, Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Accept from the RFC example', () => {
    assert.equal(
      buildAcceptResponse({ key: KEY }, nodeSha1),
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
    );
  });

  test('step 5.4: |Sec-WebSocket-Accept| is base64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11))', () => {
    const key = 'AQIDBAUGBwgJCgsMDQ4PEC==';
    const expected = Buffer.from(nodeSha1(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)).toString('base64');
    assert.match(
      buildAcceptResponse({ key }, nodeSha1),
      new RegExp(`\\r\\nSec-WebSocket-Accept: ${expected.replace(/[+/]/g, '\\$&')}\\r\\n`),
    );
  });

  test('step 5.5: a single selected subprotocol is echoed in |Sec-WebSocket-Protocol|', () => {
    assert.match(
      buildAcceptResponse({ key: KEY, protocol: 'chat' }, nodeSha1),
      /\r\nSec-WebSocket-Protocol: chat\r\n\r\n$/,
    );
  });

  test('step 5.5: the server MUST NOT answer with more than one subprotocol', () => {
    assert.throws(() => buildAcceptResponse({ key: KEY, protocol: 'chat, superchat' }, nodeSha1));
  });

  test('step 5.6: selected extensions are listed in |Sec-WebSocket-Extensions|', () => {
    assert.match(
      buildAcceptResponse(
        {
          key: KEY,
          extensions: [{ name: 'permessage-deflate', params: [['server_no_context_takeover', true]] }],
        },
        nodeSha1,
      ),
      /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n$/,
    );
  });
});
