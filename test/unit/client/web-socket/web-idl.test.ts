import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  subprotocolList,
  toClampedUnsignedShort,
  toUnsignedShort,
  toUSVString,
  webSocketUrlRecord,
} from '../../../../src/client/web-socket/web-idl.js';

function syntaxError(fn: () => unknown): void {
  assert.throws(fn, (error: unknown) => error instanceof DOMException && error.name === 'SyntaxError');
}

describe('Web IDL conversions', () => {
  test('USVString: ToString, lone surrogates become U+FFFD, pairs stay', () => {
    assert.equal(toUSVString(12), '12');
    assert.equal(toUSVString(null), 'null');
    assert.equal(toUSVString('a\uD800b\uDC00c'), 'a\uFFFDb\uFFFDc');
    assert.equal(toUSVString('😀'), '😀');
    assert.throws(() => toUSVString(Symbol('s')), TypeError);
  });

  test('[Clamp] unsigned short: clamped to 0..65535, rounded to nearest with ties to even', () => {
    assert.deepEqual(
      [0.5, 1.5, 2.5, 2999.5, 4999.4, 4999.5, 4999.6, -3, 70000, Number.NaN, Infinity, '1000', null].map(
        toClampedUnsignedShort,
      ),
      [0, 2, 2, 3000, 4999, 5000, 5000, 0, 65535, 0, 65535, 1000, 0],
    );
  });

  test('unsigned short (CloseEventInit.code): truncated, modulo 2^16', () => {
    assert.deepEqual([66536.7, -1, 1000.9, Number.NaN, 'x'].map(toUnsignedShort), [1000, 65535, 1000, 0, 0]);
  });
});

describe('WebSocket constructor: the URL (WHATWG WebSockets, "get a URL record")', () => {
  test('ws and wss are kept; http and https become ws and wss', () => {
    assert.equal(webSocketUrlRecord('ws://a.example/x?y').href, 'ws://a.example/x?y');
    assert.equal(webSocketUrlRecord('http://a.example:80/').href, 'ws://a.example/');
    assert.equal(webSocketUrlRecord('HTTPS://A.example:443/p').href, 'wss://a.example/p');
  });

  test('a URL that does not parse, another scheme or a fragment (even empty) is a SyntaxError', () => {
    syntaxError(() => webSocketUrlRecord('/relative'));
    syntaxError(() => webSocketUrlRecord('ws://[::1/'));
    syntaxError(() => webSocketUrlRecord('ftp://a.example/'));
    syntaxError(() => webSocketUrlRecord('file:///tmp/x'));
    syntaxError(() => webSocketUrlRecord('ws://a.example/#f'));
    syntaxError(() => webSocketUrlRecord('ws://a.example/#'));
  });
});

describe('WebSocket constructor: the protocols (RFC 6455 4.1 item 10, Sec-WebSocket-Protocol)', () => {
  test('undefined is none, a string is one, any iterable is a sequence of strings', () => {
    assert.deepEqual(subprotocolList(undefined), []);
    assert.deepEqual(subprotocolList('chat'), ['chat']);
    assert.deepEqual(subprotocolList(new Set(['a', 'b'])), ['a', 'b']);
    assert.deepEqual(subprotocolList([1, 'x']), ['1', 'x']);
    assert.deepEqual(subprotocolList(null), ['null']);
  });

  test('each must be a token, and none may repeat (case counts)', () => {
    for (const bad of ['', 'a b', 'a,b', 'a/b', 'é', 'a\u0001', '[x]', {}]) {
      syntaxError(() => subprotocolList(bad));
    }
    syntaxError(() => subprotocolList(['a', 'a']));
    assert.deepEqual(subprotocolList(['chat', 'Chat']), ['chat', 'Chat']);
    assert.deepEqual(subprotocolList(["!#$%&'*+-.^_`|~09azAZ"]), ["!#$%&'*+-.^_`|~09azAZ"]);
  });

  test('an object whose iterator is not callable is a TypeError', () => {
    assert.throws(() => subprotocolList({ [Symbol.iterator]: 1 }), TypeError);
  });
});
