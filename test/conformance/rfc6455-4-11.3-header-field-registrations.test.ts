// RFC 6455 11.3.1-11.3.5: how often each handshake header field may appear, as enforced by the
// handshake of section 4 (repeated lines combine with ", " per RFC 9110 5.3, as Node combines them).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HandshakeError } from '../../src/errors.js';
import { nodeSha1 } from '../../src/node/crypto.js';
import { HttpHeadParser } from '../../src/protocol/handshake/http-head-parser.js';
import { validateUpgradeRequest } from '../../src/protocol/handshake/validate-upgrade-request.js';
import { validateUpgradeResponse } from '../../src/protocol/handshake/validate-upgrade-response.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const REQUEST =
  'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`;
const RESPONSE = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n`;

function serverStatus(extra: string) {
  const parsed = new HttpHeadParser('request').push(Buffer.from(`${REQUEST}${extra}\r\n`));
  assert.ok(parsed);
  try {
    validateUpgradeRequest(parsed.head);
    return 101;
  } catch (error) {
    assert.ok(error instanceof HandshakeError);
    return error.status;
  }
}

function clientResult(extra: string, offer: { protocols?: string[]; extensions?: string[] } = {}) {
  const parsed = new HttpHeadParser('response').push(Buffer.from(`${RESPONSE}${extra}\r\n`));
  assert.ok(parsed);
  return validateUpgradeResponse(parsed.head, { key: KEY, ...offer }, nodeSha1);
}

describe('RFC 6455 11.3.1 Sec-WebSocket-Key', () => {
  test('MUST NOT appear more than once in a request: a second key line -> 400', () => {
    assert.equal(serverStatus(`Sec-WebSocket-Key: ${KEY}\r\n`), 400);
  });
});

describe('RFC 6455 11.3.2 Sec-WebSocket-Extensions', () => {
  test('MAY appear multiple times in a request: the lines combine into one list, in order', () => {
    const parsed = new HttpHeadParser('request').push(
      Buffer.from(`${REQUEST}Sec-WebSocket-Extensions: a; x=1\r\nSec-WebSocket-Extensions: b\r\n\r\n`),
    );
    assert.ok(parsed);
    assert.deepEqual(validateUpgradeRequest(parsed.head).extensions, [
      { name: 'a', params: [['x', '1']] },
      { name: 'b', params: [] },
    ]);
  });

  test('MAY appear multiple times in a response: the lines combine into one list', () => {
    const result = clientResult('Sec-WebSocket-Extensions: a\r\nSec-WebSocket-Extensions: b; y\r\n', {
      extensions: ['a', 'b'],
    });
    assert.deepEqual(result.extensions, [
      { name: 'a', params: [] },
      { name: 'b', params: [['y', true]] },
    ]);
  });
});

describe('RFC 6455 11.3.3 Sec-WebSocket-Accept', () => {
  test('MUST NOT appear more than once in a response: a repeated (even identical) accept fails', () => {
    assert.throws(
      () => clientResult(`Sec-WebSocket-Accept: ${ACCEPT}\r\n`),
      (e: unknown) => e instanceof HandshakeError && e.status === 101,
    );
  });
});

describe('RFC 6455 11.3.4 Sec-WebSocket-Protocol', () => {
  test('MAY appear multiple times in a request: the lines combine into one offer', () => {
    const parsed = new HttpHeadParser('request').push(
      Buffer.from(`${REQUEST}Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: superchat\r\n\r\n`),
    );
    assert.ok(parsed);
    assert.deepEqual(validateUpgradeRequest(parsed.head).protocols, ['chat', 'superchat']);
  });

  test('MUST NOT appear more than once in a response: a repeated protocol line fails', () => {
    assert.throws(
      () =>
        clientResult('Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n', {
          protocols: ['chat'],
        }),
      (e: unknown) => e instanceof HandshakeError && e.status === 101,
    );
  });

  test('the same subprotocol twice in a request (elements MUST be unique, 4.1) -> 400', () => {
    assert.equal(serverStatus('Sec-WebSocket-Protocol: chat, chat\r\n'), 400);
  });
});

describe('RFC 6455 11.3.5 Sec-WebSocket-Version', () => {
  test('MUST NOT appear more than once in a request: a second version line -> 400', () => {
    assert.equal(serverStatus('Sec-WebSocket-Version: 13\r\n'), 400);
  });
});
