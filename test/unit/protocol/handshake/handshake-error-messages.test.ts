// Our own choices around the opening handshake, beyond what RFC 6455 requires (those are in
// test/conformance/): the text of each client-side failure names the check that failed, extra
// headers can neither inject lines nor override the handshake's fields, and a malformed response head
// is a HandshakeError with status 0 (no status was received).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HandshakeError, WebSocketError } from '../../../../src/errors.js';
import { nodeSha1 } from '../../../../src/node/crypto.js';
import { buildAcceptResponse } from '../../../../src/protocol/handshake/build-accept-response.js';
import { buildUpgradeRequest } from '../../../../src/protocol/handshake/build-upgrade-request.js';
import { HttpHeadParser } from '../../../../src/protocol/handshake/http-head-parser.js';
import {
  type UpgradeOffer,
  validateUpgradeResponse,
} from '../../../../src/protocol/handshake/validate-upgrade-response.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const OK_HEAD = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n`;

/** The HandshakeError a raw server answer gets from the parser and the validation. */
function failure(raw: string, offer: Partial<UpgradeOffer> = {}): HandshakeError {
  const parsed = new HttpHeadParser('response').push(Buffer.from(raw));
  assert.ok(parsed);
  try {
    validateUpgradeResponse(parsed.head, { key: KEY, ...offer }, nodeSha1);
  } catch (error) {
    assert.ok(error instanceof HandshakeError);
    return error;
  }
  assert.fail('expected the response to be refused');
}

describe('a refused 101 says which check failed', () => {
  test('a wrong Sec-WebSocket-Accept', () => {
    const wrong = failure(`${OK_HEAD.replace(ACCEPT, 'dGhlIHNhbXBsZSBub25jZQ==')}\r\n`);
    assert.equal(wrong.message, 'Sec-WebSocket-Accept does not match the key sent');
  });

  test('an extension that was not offered', () => {
    const head = `${OK_HEAD}Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n`;
    assert.equal(failure(head).message, 'server accepted extension "permessage-deflate", not offered');
  });

  test('a subprotocol that was not offered', () => {
    const head = `${OK_HEAD}Sec-WebSocket-Protocol: chat\r\n\r\n`;
    assert.equal(failure(head).message, 'server chose subprotocol "chat", not offered');
  });

  test('several subprotocols, in one line or in repeated lines', () => {
    assert.equal(
      failure(`${OK_HEAD}Sec-WebSocket-Protocol: chat, superchat\r\n\r\n`, {
        protocols: ['chat', 'superchat'],
      }).message,
      'server chose more than one subprotocol',
    );
    assert.equal(
      failure(`${OK_HEAD}Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n\r\n`, {
        protocols: ['chat'],
      }).message,
      'server chose more than one subprotocol',
    );
  });
});

describe('extra headers cannot inject lines or override the handshake fields', () => {
  test('in the client request', () => {
    assert.throws(
      () => buildUpgradeRequest({ host: 'h', path: '/', key: KEY, headers: { 'X-A': 'a\r\nUpgrade: h2c' } }),
      WebSocketError,
    );
    assert.throws(
      () =>
        buildUpgradeRequest({ host: 'h', path: '/', key: KEY, headers: { 'Sec-WebSocket-Version': '8' } }),
      WebSocketError,
    );
  });

  test('in the server response', () => {
    assert.throws(() =>
      buildAcceptResponse({ key: KEY, headers: { 'sec-websocket-accept': 'x' } }, nodeSha1),
    );
  });
});

describe('a malformed response head', () => {
  test('fails with status 0 (no status received)', () => {
    const parser = new HttpHeadParser('response');
    assert.throws(
      () => parser.push(Buffer.from('HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n')),
      (e: unknown) => e instanceof HandshakeError && e.status === 0,
    );
  });
});
