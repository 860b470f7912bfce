// Our own choices in src/protocol/extensions/extension-header.ts beyond the RFC 6455 9.1 grammar
// (that is in test/conformance/): what a malformed header's error says, that nothing but a
// HandshakeError ever comes out of the parser, and that the serializer writes tokens only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { HandshakeError, WebSocketError } from '../../../../src/errors.js';
import {
  parseExtensionHeader,
  serializeExtensionHeader,
} from '../../../../src/protocol/extensions/extension-header.js';

function malformed(value: string | string[]): HandshakeError {
  try {
    parseExtensionHeader(value);
  } catch (error) {
    assert.ok(error instanceof HandshakeError, String(error));
    assert.equal(error.status, 400);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(value)} to be malformed`);
}

describe('parseExtensionHeader errors', () => {
  test('a malformed value gives a HandshakeError(400) naming what was expected and where', () => {
    assert.equal(
      malformed('foo; =bar').message,
      'Sec-WebSocket-Extensions: expected a parameter name at offset 5, found "="',
    );
    assert.equal(
      malformed('foo;').message,
      'Sec-WebSocket-Extensions: expected a parameter name at offset 4, found end of header',
    );
    assert.equal(
      malformed('foo bar').message,
      'Sec-WebSocket-Extensions: expected "," or ";" at offset 4, found "b"',
    );
    assert.equal(malformed('').message, 'Sec-WebSocket-Extensions lists no extension');
    for (const value of [
      ' , ',
      ';a',
      'a; b=',
      'a; b=c d',
      'a; b="c',
      'a; b="c\\',
      'a; b==c',
      '"a"',
      'a b',
      'a/b',
      'a; b=c=d',
      'a\r\nX: y',
      'a; b=[c]',
      'é',
    ]) {
      malformed(value);
    }
  });

  test('random strings never throw anything but HandshakeError (fast-check)', () => {
    const alphabet = fc.constantFrom(...'ab=;, "\\\t\r\n\x00é~'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 40 }), (value) => {
        try {
          parseExtensionHeader(value);
        } catch (error) {
          if (!(error instanceof HandshakeError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('serializeExtensionHeader', () => {
  test('refuses names and values that are not tokens (so nothing needs quoting)', () => {
    const invalid = (e: unknown) => e instanceof WebSocketError && e.code === 'ERR_INVALID_ARGUMENT';
    assert.throws(() => serializeExtensionHeader([{ name: 'a b', params: [] }]), invalid);
    assert.throws(() => serializeExtensionHeader([{ name: 'a', params: [['b c', true]] }]), invalid);
    assert.throws(() => serializeExtensionHeader([{ name: 'a', params: [['b', '1 2']] }]), invalid);
    assert.throws(() => serializeExtensionHeader([{ name: 'a', params: [['b', '']] }]), invalid);
    assert.throws(() => serializeExtensionHeader([{ name: 'a', params: [['b', 'x\r\nY: z']] }]), invalid);
  });
});
