import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../../../src/errors.js';
import {
  extraHeaderLines,
  flattenHeaders,
  headerLine,
  headerValue,
  isFieldValue,
} from '../../../../src/protocol/handshake/header-fields.js';

describe('header-fields', () => {
  test('headerValue reads strings, joins arrays with ", ", ignores inherited names', () => {
    const headers = { a: 'x', b: ['y', 'z'], c: undefined };
    assert.equal(headerValue(headers, 'a'), 'x');
    assert.equal(headerValue(headers, 'b'), 'y, z');
    assert.equal(headerValue(headers, 'c'), undefined);
    assert.equal(headerValue(headers, 'constructor'), undefined);
    assert.equal(headerValue(headers, '__proto__'), undefined);
  });

  test('flattenHeaders drops undefined and joins arrays', () => {
    assert.deepEqual({ ...flattenHeaders({ a: 'x', b: ['y', 'z'], c: undefined }) }, { a: 'x', b: 'y, z' });
  });

  test('isFieldValue rejects CR, LF, NUL, DEL and code points above 0xFF', () => {
    assert.equal(isFieldValue('a\tb c~\x80\xff'), true);
    for (const bad of ['a\rb', 'a\nb', 'a\0b', 'a\x7fb', 'a\u0100']) assert.equal(isFieldValue(bad), false);
  });

  test('headerLine refuses header injection', () => {
    assert.equal(headerLine('X-A', 'b'), 'X-A: b\r\n');
    assert.throws(() => headerLine('X-A', 'b\r\nEvil: 1'), WebSocketError);
    assert.throws(() => headerLine('X A', 'b'), WebSocketError);
    assert.throws(() => headerLine('X-A:', 'b'), WebSocketError);
  });

  test('extraHeaderLines refuses reserved names in any case', () => {
    assert.equal(
      extraHeaderLines({ 'X-A': '1', Cookie: 'c=d' }, new Set(['host'])),
      'X-A: 1\r\nCookie: c=d\r\n',
    );
    assert.equal(extraHeaderLines(undefined, new Set()), '');
    assert.throws(
      () => extraHeaderLines({ HOST: 'evil' }, new Set(['host'])),
      (error: unknown) => error instanceof WebSocketError && error.code === 'ERR_INVALID_ARGUMENT',
    );
  });
});
