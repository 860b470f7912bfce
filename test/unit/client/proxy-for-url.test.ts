import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseWebSocketUrl } from '../../../src/client/parse-web-socket-url.js';
import { isLoopback, noProxyMatches, parseProxyUrl, proxyForUrl } from '../../../src/client/proxy-for-url.js';

const target = (url: string) => parseWebSocketUrl(url);

describe('proxyForUrl', () => {
  test('the proxy option wins, false disables, and NO_PROXY does not apply to an explicit proxy', () => {
    const env = { HTTP_PROXY: 'http://env:1', NO_PROXY: '*' };
    assert.equal(proxyForUrl(target('ws://a.example/'), 'http://explicit:2', env)?.host, 'explicit:2');
    assert.equal(proxyForUrl(target('ws://a.example/'), false, env), undefined);
  });

  test('ws uses http_proxy then HTTP_PROXY; wss uses https_proxy then HTTPS_PROXY', () => {
    const env = { http_proxy: 'lower:1', HTTP_PROXY: 'upper:2', HTTPS_PROXY: 'secure:3' };
    assert.equal(proxyForUrl(target('ws://a.example/'), undefined, env)?.host, 'lower:1');
    assert.equal(proxyForUrl(target('wss://a.example/'), undefined, env)?.host, 'secure:3');
    assert.equal(proxyForUrl(target('wss://a.example/'), undefined, { HTTP_PROXY: 'x:1' }), undefined);
    assert.equal(proxyForUrl(target('ws://a.example/'), undefined, { HTTP_PROXY: '  ' }), undefined);
  });

  test('loopback hosts bypass environment proxies', () => {
    const env = { HTTP_PROXY: 'http://proxy:1' };
    for (const url of [
      'ws://localhost/',
      'ws://app.localhost/',
      'ws://127.0.0.1/',
      'ws://127.9.9.9/',
      'ws://[::1]/',
    ]) {
      assert.equal(proxyForUrl(target(url), undefined, env), undefined, url);
    }
    assert.equal(proxyForUrl(target('ws://10.0.0.1/'), undefined, env)?.host, 'proxy:1');
  });

  test('NO_PROXY is consulted for environment proxies', () => {
    const env = { HTTP_PROXY: 'http://proxy:1', no_proxy: 'example.com' };
    assert.equal(proxyForUrl(target('ws://api.example.com/'), undefined, env), undefined);
    assert.equal(proxyForUrl(target('ws://example.org/'), undefined, env)?.host, 'proxy:1');
  });
});

describe('noProxyMatches', () => {
  const cases: Array<[string, string, number, boolean]> = [
    ['*', 'anything.example', 80, true],
    ['example.com', 'example.com', 80, true],
    ['example.com', 'a.b.example.com', 80, true],
    ['example.com', 'badexample.com', 80, false],
    ['.example.com', 'example.com', 80, true],
    ['*.example.com', 'x.example.com', 80, true],
    ['EXAMPLE.com', 'api.Example.COM', 80, true],
    ['example.com:8080', 'example.com', 8080, true],
    ['example.com:8080', 'example.com', 80, false],
    ['a.test, b.test', 'b.test', 80, true],
    ['a.test b.test', 'b.test', 80, true],
    ['10.1.2.3', '10.1.2.3', 80, true],
    ['10.1.2.3', '10.1.2.30', 80, false],
    ['::1', '::1', 80, true],
    ['[::1]:443', '::1', 443, true],
    ['[::1]:443', '::1', 80, false],
    ['', 'example.com', 80, false],
  ];
  for (const [noProxy, host, port, expected] of cases) {
    test(`${JSON.stringify(noProxy)} ${expected ? 'matches' : 'does not match'} ${host}:${port}`, () => {
      assert.equal(noProxyMatches(noProxy, host, port), expected);
    });
  }
});

describe('parseProxyUrl and isLoopback', () => {
  test('a bare host:port means http://', () => {
    assert.equal(parseProxyUrl('127.0.0.1:3128').href, 'http://127.0.0.1:3128/');
  });
  test('only http:// proxies', () => {
    assert.throws(() => parseProxyUrl('socks5://127.0.0.1:1080'), { code: 'ERR_INVALID_ARGUMENT' });
    assert.throws(() => parseProxyUrl('http://'), { code: 'ERR_INVALID_ARGUMENT' });
  });
  test('loopback names', () => {
    assert.equal(isLoopback('LOCALHOST'), true);
    assert.equal(isLoopback('localhost.example'), false);
    assert.equal(isLoopback('128.0.0.1'), false);
  });
});
