import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../../../src/errors.js';
import { buildUpgradeRequest } from '../../../../src/protocol/handshake/build-upgrade-request.js';
import { HttpHeadParser } from '../../../../src/protocol/handshake/http-head-parser.js';
import { validateUpgradeRequest } from '../../../../src/protocol/handshake/validate-upgrade-request.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const BASE =
  'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`;
const invalid = (e: unknown) => e instanceof WebSocketError && e.code === 'ERR_INVALID_ARGUMENT';

describe('buildUpgradeRequest', () => {
  test('the minimal request, byte for byte', () => {
    assert.equal(buildUpgradeRequest({ host: 'server.example.com', path: '/chat', key: KEY }), `${BASE}\r\n`);
  });

  test('origin, protocols, extensions and extra headers, in that order', () => {
    assert.equal(
      buildUpgradeRequest({
        host: 'server.example.com',
        path: '/chat',
        key: KEY,
        origin: 'http://example.com',
        protocols: ['chat', 'superchat'],
        extensions: 'permessage-deflate; client_max_window_bits',
        headers: { Cookie: 'a=b', Authorization: 'Bearer t' },
      }),
      `${BASE}Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n` +
        'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nCookie: a=b\r\nAuthorization: Bearer t\r\n\r\n',
    );
  });

  test('parsed extensions are serialized; empty lists write no header', () => {
    assert.equal(
      buildUpgradeRequest({
        host: 'h',
        path: '/',
        key: KEY,
        extensions: [{ name: 'x', params: [['y', '1']] }],
      }),
      `GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: x; y=1\r\n\r\n`,
    );
    const plain = buildUpgradeRequest({ host: 'h', path: '/', key: KEY });
    assert.equal(
      buildUpgradeRequest({ host: 'h', path: '/', key: KEY, protocols: [], extensions: [] }),
      plain,
    );
  });

  test('round trip: our request passes our server validation', () => {
    const text = buildUpgradeRequest({
      host: 'h:8080',
      path: '/a?b=c',
      key: KEY,
      protocols: ['p1', 'p2'],
      extensions: 'e; x',
    });
    const parsed = new HttpHeadParser('request').push(Buffer.from(text));
    assert.ok(parsed);
    const result = validateUpgradeRequest(parsed.head);
    assert.equal(result.host, 'h:8080');
    assert.equal(result.path, '/a?b=c');
    assert.deepEqual(result.protocols, ['p1', 'p2']);
    assert.deepEqual(result.extensions, [{ name: 'e', params: [['x', true]] }]);
  });

  test('refuses bad arguments', () => {
    const ok = { host: 'h', path: '/', key: KEY };
    assert.throws(() => buildUpgradeRequest({ ...ok, host: '' }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, host: 'h\r\nX: y' }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, path: 'chat' }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, path: '/a b' }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, path: '/a#frag' }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, path: '/\n' }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, key: 'abc' }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, origin: 'x\r\nY: z' }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, protocols: ['a b'] }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, protocols: ['a,b'] }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, protocols: ['a', 'a'] }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, extensions: 'a\r\nX: y' }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, extensions: [{ name: 'a b', params: [] }] }), invalid);
    assert.throws(() => buildUpgradeRequest({ ...ok, headers: { 'X-A': 'b\r\nc' } }), invalid);
    for (const name of [
      'Host',
      'upgrade',
      'Connection',
      'Sec-WebSocket-Key',
      'Sec-WebSocket-Version',
      'Sec-WebSocket-Protocol',
      'Sec-WebSocket-Extensions',
      'Origin',
    ]) {
      assert.throws(() => buildUpgradeRequest({ ...ok, headers: { [name]: 'x' } }), invalid, name);
    }
  });
});
