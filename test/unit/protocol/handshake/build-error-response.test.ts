import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../../../src/errors.js';
import { buildErrorResponse } from '../../../../src/protocol/handshake/build-error-response.js';
import { HttpHeadParser } from '../../../../src/protocol/handshake/http-head-parser.js';

describe('buildErrorResponse', () => {
  test('a complete response with Connection: close, text/plain and Content-Length', () => {
    assert.equal(
      buildErrorResponse(400, 'Missing Sec-WebSocket-Key'),
      'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 25\r\n\r\nMissing Sec-WebSocket-Key',
    );
  });

  test('extra headers (HandshakeError.headers) go before the blank line', () => {
    assert.equal(
      buildErrorResponse(426, 'unsupported version', { 'Sec-WebSocket-Version': '13' }),
      'HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 19\r\nSec-WebSocket-Version: 13\r\n\r\nunsupported version',
    );
  });

  test('Content-Length counts UTF-8 bytes; an empty message uses the reason phrase', () => {
    assert.match(buildErrorResponse(403, 'non autorisé'), /Content-Length: 13\r\n\r\nnon autorisé$/);
    assert.match(buildErrorResponse(403, ''), /Content-Length: 9\r\n\r\nForbidden$/);
    assert.match(buildErrorResponse(499, 'x'), /^HTTP\/1\.1 499 Client Error\r\n/);
  });

  test('parses back as a valid HTTP response', () => {
    const text = buildErrorResponse(405, 'use GET', { Allow: 'GET' });
    const parsed = new HttpHeadParser('response').push(Buffer.from(text));
    assert.equal(parsed?.head.statusCode, 405);
    assert.equal(parsed?.head.headers.allow, 'GET');
    assert.equal(parsed?.rest.toString(), 'use GET');
  });

  test('refuses non-error statuses, reserved and injected headers', () => {
    const invalid = (e: unknown) => e instanceof WebSocketError && e.code === 'ERR_INVALID_ARGUMENT';
    assert.throws(() => buildErrorResponse(200, 'x'), invalid);
    assert.throws(() => buildErrorResponse(600, 'x'), invalid);
    assert.throws(() => buildErrorResponse(400.5, 'x'), invalid);
    assert.throws(() => buildErrorResponse(400, 'x', { 'content-length': '0' }), invalid);
    assert.throws(() => buildErrorResponse(400, 'x', { Connection: 'keep-alive' }), invalid);
    assert.throws(() => buildErrorResponse(400, 'x', { A: '1\r\nB: 2' }), invalid);
  });
});
