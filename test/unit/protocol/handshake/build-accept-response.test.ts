import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../../../src/errors.js';
import { nodeSha1 } from '../../../../src/node/crypto.js';
import { buildAcceptResponse } from '../../../../src/protocol/handshake/build-accept-response.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const BASE =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n';

const isInvalidArgument = (e: unknown) => e instanceof WebSocketError && e.code === 'ERR_INVALID_ARGUMENT';

describe('buildAcceptResponse', () => {
  test('the minimal 101 response, byte for byte', () => {
    assert.equal(buildAcceptResponse({ key: KEY }, nodeSha1), `${BASE}\r\n`);
  });

  test('adds the chosen protocol, extensions (string or parsed) and extra headers in order', () => {
    assert.equal(
      buildAcceptResponse(
        {
          key: KEY,
          protocol: 'chat',
          extensions: [{ name: 'permessage-deflate', params: [['server_no_context_takeover', true]] }],
          headers: { 'Set-Cookie': 'a=b' },
        },
        nodeSha1,
      ),
      `${BASE}Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\nSet-Cookie: a=b\r\n\r\n`,
    );
    assert.equal(
      buildAcceptResponse({ key: KEY, extensions: 'x-a; b=1' }, nodeSha1),
      `${BASE}Sec-WebSocket-Extensions: x-a; b=1\r\n\r\n`,
    );
  });

  test('empty extensions write no header', () => {
    assert.equal(buildAcceptResponse({ key: KEY, extensions: [] }, nodeSha1), `${BASE}\r\n`);
    assert.equal(buildAcceptResponse({ key: KEY, extensions: '' }, nodeSha1), `${BASE}\r\n`);
  });

  test('refuses bad input', () => {
    assert.throws(() => buildAcceptResponse({ key: 'nope' }, nodeSha1), isInvalidArgument);
    assert.throws(() => buildAcceptResponse({ key: KEY, protocol: 'a b' }, nodeSha1), isInvalidArgument);
    assert.throws(() => buildAcceptResponse({ key: KEY, protocol: 'a, b' }, nodeSha1), isInvalidArgument);
    assert.throws(
      () => buildAcceptResponse({ key: KEY, extensions: 'a\r\nX: y' }, nodeSha1),
      isInvalidArgument,
    );
    assert.throws(
      () => buildAcceptResponse({ key: KEY, headers: { 'X-A': 'b\nc' } }, nodeSha1),
      isInvalidArgument,
    );
    for (const name of [
      'Upgrade',
      'connection',
      'Sec-WebSocket-Accept',
      'sec-websocket-protocol',
      'Sec-WebSocket-Extensions',
    ]) {
      assert.throws(
        () => buildAcceptResponse({ key: KEY, headers: { [name]: 'x' } }, nodeSha1),
        isInvalidArgument,
        name,
      );
    }
  });
});
