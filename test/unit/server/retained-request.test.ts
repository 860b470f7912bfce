// The request an open connection keeps: the head's text, parsed again on first read.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NegotiableRequest } from '../../../src/server/negotiate-upgrade.js';
import { RetainedRequest } from '../../../src/server/retained-request.js';

const text = [
  'GET /chat?room=1 HTTP/1.1',
  'Host: example.com',
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version: 13',
  'X-Many: a',
  'X-Many: b',
].join('\r\n');

const seen: NegotiableRequest = {
  method: 'GET',
  url: '/chat?room=1',
  httpVersion: '1.1',
  headers: {},
  remoteAddress: '127.0.0.1',
  remotePort: 40000,
  secure: true,
};

describe('RetainedRequest', () => {
  test('gives back the method, target, version and headers of the head it keeps', () => {
    const request = new RetainedRequest(text, seen, seen.secure);
    assert.equal(request.method, 'GET');
    assert.equal(request.url, '/chat?room=1');
    assert.equal(request.httpVersion, '1.1');
    assert.equal(request.headers.host, 'example.com');
    assert.equal(request.headers['sec-websocket-version'], '13');
    assert.equal(request.headers['x-many'], 'a, b');
    assert.equal(request.headers, request.headers, 'parsed once, then the same object');
  });

  test('keeps the peer address and whether it came over TLS', () => {
    const request = new RetainedRequest(text, seen, seen.secure);
    assert.equal(request.remoteAddress, '127.0.0.1');
    assert.equal(request.remotePort, 40000);
    assert.equal(request.secure, true);
    assert.deepEqual(JSON.parse(JSON.stringify(request)).url, '/chat?room=1');
  });

  test('a head longer than the default parser limits parses again', () => {
    const long = `${text}\r\nX-Long: ${'a'.repeat(20_000)}`;
    assert.equal(new RetainedRequest(long, seen, seen.secure).headers['x-long']?.length, 20_000);
  });
});
