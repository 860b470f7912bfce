// RFC 6455 4.1 "Client Requirements": the request the client sends and how it validates the answer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HandshakeError, WebSocketError } from '../../src/errors.js';
import { nodeRandomFill, nodeSha1 } from '../../src/node/crypto.js';
import { buildUpgradeRequest } from '../../src/protocol/handshake/build-upgrade-request.js';
import { createClientKey } from '../../src/protocol/handshake/create-client-key.js';
import { HttpHeadParser } from '../../src/protocol/handshake/http-head-parser.js';
import {
  type UpgradeOffer,
  validateUpgradeResponse,
} from '../../src/protocol/handshake/validate-upgrade-response.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** Feeds a raw server answer through the parser and the validation, returns the error if any. */
function answer(raw: string, offer: Partial<UpgradeOffer> = {}) {
  const parsed = new HttpHeadParser('response').push(Buffer.from(raw));
  assert.ok(parsed);
  return validateUpgradeResponse(parsed.head, { key: KEY, ...offer }, nodeSha1);
}

function failure(raw: string, offer: Partial<UpgradeOffer> = {}): HandshakeError {
  try {
    answer(raw, offer);
  } catch (error) {
    assert.ok(error instanceof HandshakeError);
    return error;
  }
  assert.fail('the client MUST fail this connection');
}

const OK_HEAD = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n`;

describe('RFC 6455 4.1 Client Requirements: the opening handshake request', () => {
  const text = buildUpgradeRequest({
    host: 'server.example.com',
    path: '/chat',
    key: KEY,
    origin: 'http://example.com',
    protocols: ['chat', 'superchat'],
  });

  test('the RFC 1.2 sample request, byte for byte', () => {
    assert.equal(
      text,
      'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
        'Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n',
    );
  });

  test('items 1-2: the method MUST be GET and the HTTP version at least 1.1, with the resource name as Request-URI', () => {
    assert.equal(text.split('\r\n')[0], 'GET /chat HTTP/1.1');
  });

  test('items 4-6: Host, "Upgrade: websocket" and "Connection: Upgrade" MUST be included', () => {
    assert.match(text, /\r\nHost: server\.example\.com\r\n/);
    assert.match(text, /\r\nUpgrade: websocket\r\n/);
    assert.match(text, /\r\nConnection: Upgrade\r\n/);
  });

  test('item 7: Sec-WebSocket-Key MUST be a base64 16-byte nonce chosen randomly for each connection', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 32; i++) {
      const key = createClientKey(nodeRandomFill);
      assert.match(key, /^[A-Za-z0-9+/]{22}==$/);
      assert.equal(Buffer.from(key, 'base64').length, 16);
      keys.add(key);
    }
    assert.equal(keys.size, 32);
  });

  test('item 9: Sec-WebSocket-Version MUST be 13', () => {
    assert.match(text, /\r\nSec-WebSocket-Version: 13\r\n/);
  });

  test('item 10: subprotocols MUST be tokens and MUST all be unique', () => {
    const invalid = (e: unknown) => e instanceof WebSocketError && e.code === 'ERR_INVALID_ARGUMENT';
    assert.throws(
      () => buildUpgradeRequest({ host: 'h', path: '/', key: KEY, protocols: ['chat', 'chat'] }),
      invalid,
    );
    assert.throws(() => buildUpgradeRequest({ host: 'h', path: '/', key: KEY, protocols: ['a b'] }), invalid);
    assert.throws(() => buildUpgradeRequest({ host: 'h', path: '/', key: KEY, protocols: [''] }), invalid);
  });

  test('section 3: fragment identifiers MUST NOT be used in the resource name', () => {
    assert.throws(() => buildUpgradeRequest({ host: 'h', path: '/chat#x', key: KEY }), WebSocketError);
  });
});

describe("RFC 6455 4.1 Client Requirements: validating the server's response", () => {
  test('a valid 101 response is accepted', () => {
    assert.deepEqual(answer(`${OK_HEAD}\r\n`), { protocol: undefined, extensions: [] });
  });

  test('item 1: a status other than 101 is handled per HTTP: the error carries the status (302) and Location', () => {
    const error = failure(
      'HTTP/1.1 302 Found\r\nLocation: ws://other.example/chat\r\nContent-Length: 0\r\n\r\n',
    );
    assert.equal(error.status, 302);
    assert.equal(error.headers.location, 'ws://other.example/chat');
    assert.equal(
      failure('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\n\r\n').status,
      401,
    );
    assert.equal(failure('HTTP/1.1 200 OK\r\n\r\n').status, 200);
  });

  test('item 2: a missing Upgrade or one that is not "websocket" MUST fail the connection', () => {
    assert.equal(failure(`${OK_HEAD.replace('Upgrade: websocket\r\n', '')}\r\n`).status, 101);
    assert.equal(failure(`${OK_HEAD.replace('Upgrade: websocket', 'Upgrade: h2c')}\r\n`).status, 101);
    assert.doesNotThrow(() => answer(`${OK_HEAD.replace('Upgrade: websocket', 'Upgrade: WEBSOCKET')}\r\n`));
  });

  test('item 3: a missing Connection or one without "Upgrade" MUST fail the connection', () => {
    assert.equal(failure(`${OK_HEAD.replace('Connection: Upgrade\r\n', '')}\r\n`).status, 101);
    assert.equal(failure(`${OK_HEAD.replace('Connection: Upgrade', 'Connection: close')}\r\n`).status, 101);
    assert.doesNotThrow(() => answer(`${OK_HEAD.replace('Connection: Upgrade', 'Connection: upgrade')}\r\n`));
  });

  test('item 4: a missing or wrong Sec-WebSocket-Accept MUST fail the connection', () => {
    assert.equal(failure(`${OK_HEAD.replace(`Sec-WebSocket-Accept: ${ACCEPT}\r\n`, '')}\r\n`).status, 101);
    assert.equal(failure(`${OK_HEAD.replace(ACCEPT, 'dGhlIHNhbXBsZSBub25jZQ==')}\r\n`).status, 101);
    // The accept value is compared exactly: base64 is case-sensitive.
    assert.equal(failure(`${OK_HEAD.replace(ACCEPT, ACCEPT.toLowerCase())}\r\n`).status, 101);
  });

  test('item 5: an extension not present in the client handshake MUST fail the connection', () => {
    const head = `${OK_HEAD}Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n`;
    assert.equal(failure(head).status, 101);
    assert.deepEqual(answer(head, { extensions: ['permessage-deflate'] }).extensions, [
      { name: 'permessage-deflate', params: [] },
    ]);
  });

  test('item 6: a subprotocol not present in the client handshake MUST fail the connection', () => {
    const head = `${OK_HEAD}Sec-WebSocket-Protocol: chat\r\n\r\n`;
    assert.equal(failure(head).status, 101);
    assert.equal(failure(head, { protocols: ['superchat'] }).status, 101);
    assert.equal(answer(head, { protocols: ['superchat', 'chat'] }).protocol, 'chat');
  });

  test('item 6: a response naming several subprotocols MUST fail the connection', () => {
    assert.equal(
      failure(`${OK_HEAD}Sec-WebSocket-Protocol: chat, superchat\r\n\r\n`, {
        protocols: ['chat', 'superchat'],
      }).status,
      101,
    );
  });
});
