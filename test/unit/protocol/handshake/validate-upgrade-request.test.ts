import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { HandshakeError } from '../../../../src/errors.js';
import { HttpHeadParser } from '../../../../src/protocol/handshake/http-head-parser.js';
import {
  type UpgradeRequestLike,
  validateUpgradeRequest,
} from '../../../../src/protocol/handshake/validate-upgrade-request.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function request(
  headers: Record<string, string | string[] | undefined> = {},
  overrides = {},
): UpgradeRequestLike {
  return {
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
    ...overrides,
  };
}

function refusal(req: UpgradeRequestLike, options = {}): HandshakeError {
  try {
    validateUpgradeRequest(req, options);
  } catch (error) {
    assert.ok(error instanceof HandshakeError);
    return error;
  }
  assert.fail('expected a HandshakeError');
}

describe('validateUpgradeRequest', () => {
  test('returns key, host, path, origin, protocols and extensions', () => {
    const result = validateUpgradeRequest(
      request({
        origin: 'http://example.com',
        'sec-websocket-protocol': 'chat, superchat',
        'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits, x-foo',
      }),
    );
    assert.deepEqual(result, {
      key: KEY,
      host: 'server.example.com',
      path: '/chat',
      origin: 'http://example.com',
      protocols: ['chat', 'superchat'],
      extensions: [
        { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
        { name: 'x-foo', params: [] },
      ],
    });
  });

  test('defaults: no origin, no protocols, no extensions', () => {
    const result = validateUpgradeRequest(request());
    assert.equal(result.origin, undefined);
    assert.deepEqual(result.protocols, []);
    assert.deepEqual(result.extensions, []);
  });

  test('accepts the output of HttpHeadParser directly', () => {
    const parsed = new HttpHeadParser('request').push(
      Buffer.from(
        `GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: b\r\n\r\n`,
      ),
    );
    assert.ok(parsed);
    assert.deepEqual(validateUpgradeRequest(parsed.head).protocols, ['a', 'b']);
  });

  test("is structurally compatible with Node's IncomingMessage (type check)", () => {
    const check = (message: IncomingMessage) => () => validateUpgradeRequest(message);
    assert.equal(typeof check, 'function');
  });

  test('header arrays (as some adapters give) are combined', () => {
    const result = validateUpgradeRequest(request({ 'sec-websocket-protocol': ['a', 'b'] }));
    assert.deepEqual(result.protocols, ['a', 'b']);
  });

  test('HTTP/2.0 passes the version check ("1.1 or higher")', () => {
    assert.equal(validateUpgradeRequest(request({}, { httpVersion: '2.0' })).key, KEY);
  });

  test('refusal statuses and headers', () => {
    assert.deepEqual({ ...refusal(request({}, { method: 'POST' })).headers }, { Allow: 'GET' });
    assert.equal(refusal(request({}, { method: 'POST' })).status, 405);
    assert.equal(refusal(request({}, { method: undefined })).status, 405);
    assert.equal(refusal(request({}, { httpVersion: '1.0' })).status, 400);
    assert.equal(refusal(request({}, { httpVersion: 'x' })).status, 400);
    assert.equal(refusal(request({}, { url: '' })).status, 400);
    assert.equal(refusal(request({ host: undefined })).status, 400);
    assert.equal(refusal(request({ host: 'a, b' })).status, 400);
    assert.equal(refusal(request({ upgrade: 'h2c' })).status, 400);
    assert.equal(refusal(request({ connection: 'keep-alive' })).status, 400);
    assert.equal(refusal(request({ 'sec-websocket-key': 'short' })).status, 400);
    assert.equal(refusal(request({ 'sec-websocket-version': undefined })).status, 400);
    const wrongVersion = refusal(request({ 'sec-websocket-version': '8' }));
    assert.equal(wrongVersion.status, 426);
    assert.deepEqual({ ...wrongVersion.headers }, { 'Sec-WebSocket-Version': '13' });
    assert.equal(refusal(request({ 'sec-websocket-protocol': 'a b' })).status, 400);
    assert.equal(refusal(request({ 'sec-websocket-protocol': '' })).status, 400);
    assert.equal(refusal(request({ 'sec-websocket-protocol': 'a, a' })).status, 400);
    assert.equal(refusal(request({ 'sec-websocket-extensions': 'a;' })).status, 400);
  });

  test('the origin policy sees the Origin (or undefined) and the request; false -> 403', () => {
    const seen: Array<string | undefined> = [];
    const verifyOrigin = (origin: string | undefined) => {
      seen.push(origin);
      return origin === 'https://good.example';
    };
    assert.equal(refusal(request({ origin: 'https://evil.example' }), { verifyOrigin }).status, 403);
    assert.equal(refusal(request(), { verifyOrigin }).status, 403);
    assert.equal(
      validateUpgradeRequest(request({ origin: 'https://good.example' }), { verifyOrigin }).origin,
      'https://good.example',
    );
    assert.deepEqual(seen, ['https://evil.example', undefined, 'https://good.example']);
  });

  test('the origin policy is not consulted for a malformed request', () => {
    let called = false;
    refusal(request({ 'sec-websocket-key': undefined }), {
      verifyOrigin: () => {
        called = true;
        return true;
      },
    });
    assert.equal(called, false);
  });
});
