import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseWebSocketUrl } from '../../../src/client/parse-web-socket-url.js';

describe('parseWebSocketUrl (RFC 6455 3)', () => {
  test('ws:// with defaults', () => {
    const target = parseWebSocketUrl('ws://Example.com');
    assert.deepEqual(
      [target.secure, target.hostname, target.port, target.resource, target.host],
      [false, 'example.com', 80, '/', 'example.com'],
    );
  });
  test('wss:// with a port, path and query; the default port is left out of Host', () => {
    const target = parseWebSocketUrl('wss://h.example:8443/chat/room?x=1&y=2');
    assert.deepEqual(
      [target.secure, target.port, target.resource, target.host],
      [true, 8443, '/chat/room?x=1&y=2', 'h.example:8443'],
    );
    assert.equal(parseWebSocketUrl('wss://h.example:443/').host, 'h.example');
  });
  test('IPv6 literals lose their brackets for dialing, keep them in Host', () => {
    const target = parseWebSocketUrl('ws://[::1]:9000/');
    assert.deepEqual([target.hostname, target.host], ['::1', '[::1]:9000']);
  });
  test('http and https map to ws and wss', () => {
    assert.equal(parseWebSocketUrl('http://a.example/').url.protocol, 'ws:');
    assert.equal(parseWebSocketUrl('https://a.example/').secure, true);
  });
  test('non-ASCII paths are percent-encoded', () => {
    assert.equal(parseWebSocketUrl('ws://a.example/é').resource, '/%C3%A9');
  });
  for (const bad of [
    '',
    'nope',
    'ftp://a.example/',
    'ws://a.example/#f',
    'ws://u:p@a.example/',
    'file:///x',
  ]) {
    test(`refuses ${JSON.stringify(bad)} with ERR_INVALID_ARGUMENT`, () => {
      assert.throws(() => parseWebSocketUrl(bad), { code: 'ERR_INVALID_ARGUMENT' });
    });
  }
});
