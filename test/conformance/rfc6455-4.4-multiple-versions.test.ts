// RFC 6455 4.4 "Supporting Multiple Versions of WebSocket Protocol" (with 4.2.2 step 4).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HandshakeError } from '../../src/errors.js';
import { buildErrorResponse } from '../../src/protocol/handshake/build-error-response.js';
import { HttpHeadParser } from '../../src/protocol/handshake/http-head-parser.js';
import { validateUpgradeRequest } from '../../src/protocol/handshake/validate-upgrade-request.js';

function serverAnswer(version: string): string {
  const raw =
    'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: ${version}\r\n\r\n`;
  const parsed = new HttpHeadParser('request').push(Buffer.from(raw));
  assert.ok(parsed);
  try {
    validateUpgradeRequest(parsed.head);
  } catch (error) {
    assert.ok(error instanceof HandshakeError);
    return buildErrorResponse(error.status, error.message, error.headers);
  }
  return 'accepted';
}

describe('RFC 6455 4.4 Supporting Multiple Versions of WebSocket Protocol', () => {
  test('version 13 is accepted', () => {
    assert.equal(serverAnswer('13'), 'accepted');
  });

  test('an unknown version (25, the RFC example) MUST be refused with |Sec-WebSocket-Version| naming 13', () => {
    assert.equal(
      serverAnswer('25'),
      'HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 34\r\nSec-WebSocket-Version: 13\r\n\r\nunsupported WebSocket version "25"',
    );
  });

  test('older drafts (8, 7, 0) are refused the same way: only version 13 is spoken', () => {
    for (const version of ['8', '7', '0', '013', '13.0']) {
      const text = serverAnswer(version);
      assert.match(text, /^HTTP\/1\.1 426 Upgrade Required\r\n/, version);
      assert.match(text, /\r\nSec-WebSocket-Version: 13\r\n/, version);
    }
  });
});
