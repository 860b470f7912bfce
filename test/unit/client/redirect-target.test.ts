import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseWebSocketUrl } from '../../../src/client/parse-web-socket-url.js';
import { redirectTarget, withoutCredentials } from '../../../src/client/redirect-target.js';
import { HandshakeError } from '../../../src/errors.js';

describe('redirectTarget (RFC 9110 15.4)', () => {
  const from = parseWebSocketUrl('wss://a.example/one/two?q=1');
  test('relative references resolve against the current URL', () => {
    assert.equal(redirectTarget(from, 'three', 302, false).url.href, 'wss://a.example/one/three');
    assert.equal(redirectTarget(from, '/root', 302, false).url.href, 'wss://a.example/root');
    assert.equal(redirectTarget(from, '//b.example/x', 302, false).url.href, 'wss://b.example/x');
  });
  test('http(s) locations map to ws(s)', () => {
    assert.equal(redirectTarget(from, 'https://b.example/', 301, false).url.href, 'wss://b.example/');
  });
  test('a downgrade to ws is refused unless allowed', () => {
    assert.throws(
      () => redirectTarget(from, 'http://b.example/', 307, false),
      (error) => {
        assert.ok(error instanceof HandshakeError);
        assert.equal(error.status, 307);
        return true;
      },
    );
    assert.equal(redirectTarget(from, 'ws://b.example/', 307, true).secure, false);
  });
  test('an unusable location is a HandshakeError with the status', () => {
    assert.throws(() => redirectTarget(from, 'ftp://b.example/', 308, false), {
      code: 'ERR_HANDSHAKE',
      status: 308,
    });
  });
  test('withoutCredentials drops Authorization, Cookie and Proxy-Authorization in any case', () => {
    assert.deepEqual(
      withoutCredentials({ authorization: 'a', COOKIE: 'c', 'Proxy-Authorization': 'p', 'X-Keep': 'k' }),
      {
        'X-Keep': 'k',
      },
    );
    assert.equal(withoutCredentials(undefined), undefined);
  });
});
