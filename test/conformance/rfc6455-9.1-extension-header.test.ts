// RFC 6455 9.1 "Negotiating Extensions": the Sec-WebSocket-Extensions grammar. Our own choices (the
// error texts, the serializer's refusals) are in test/unit/protocol/extensions/extension-header.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { HandshakeError } from '../../src/errors.js';
import {
  parseExtensionHeader,
  serializeExtensionHeader,
} from '../../src/protocol/extensions/extension-header.js';

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

describe('RFC 6455 9.1 Negotiating Extensions: parsing', () => {
  test('extension = extension-token *( ";" extension-param ): the RFC 9.1 examples', () => {
    assert.deepEqual(parseExtensionHeader('foo'), [{ name: 'foo', params: [] }]);
    assert.deepEqual(parseExtensionHeader('bar; baz=2'), [{ name: 'bar', params: [['baz', '2']] }]);
    assert.deepEqual(parseExtensionHeader('foo, bar; baz=2'), [
      { name: 'foo', params: [] },
      { name: 'bar', params: [['baz', '2']] },
    ]);
    assert.deepEqual(parseExtensionHeader('deflate-stream'), [{ name: 'deflate-stream', params: [] }]);
    assert.deepEqual(parseExtensionHeader('mux; max-channels=4; flow-control, deflate-stream'), [
      {
        name: 'mux',
        params: [
          ['max-channels', '4'],
          ['flow-control', true],
        ],
      },
      { name: 'deflate-stream', params: [] },
    ]);
    assert.deepEqual(parseExtensionHeader('private-extension'), [{ name: 'private-extension', params: [] }]);
  });

  test('a parameter without a value is `true`; with one, a string; order and repeats are kept', () => {
    assert.deepEqual(
      parseExtensionHeader('permessage-deflate; client_max_window_bits; server_max_window_bits=10; a=1; a=2'),
      [
        {
          name: 'permessage-deflate',
          params: [
            ['client_max_window_bits', true],
            ['server_max_window_bits', '10'],
            ['a', '1'],
            ['a', '2'],
          ],
        },
      ],
    );
  });

  test('optional whitespace is allowed around ",", ";" and "="', () => {
    assert.deepEqual(parseExtensionHeader(' a ;\tb = 1 ;c , d '), [
      {
        name: 'a',
        params: [
          ['b', '1'],
          ['c', true],
        ],
      },
      { name: 'd', params: [] },
    ]);
  });

  test('empty list elements are ignored (RFC 9110 5.6.1)', () => {
    assert.deepEqual(parseExtensionHeader(', a, , b,'), [
      { name: 'a', params: [] },
      { name: 'b', params: [] },
    ]);
  });

  test('a quoted-string value MUST conform to the token ABNF after unescaping: accepted and unquoted', () => {
    assert.deepEqual(parseExtensionHeader('x; a="10"; b="t\\ok"'), [
      {
        name: 'x',
        params: [
          ['a', '10'],
          ['b', 'tok'],
        ],
      },
    ]);
  });

  test('a quoted-string value that is not a token after unescaping is malformed', () => {
    for (const value of ['x; a="1 0"', 'x; a=""', 'x; a="a,b"', 'x; a="a\\"b"', 'x; a="é"']) {
      assert.match(malformed(value).message, /not a token after unquoting/, value);
    }
  });
});

describe('RFC 6455 9.1 Negotiating Extensions: serializing', () => {
  test('writes name; param; param=value, joined by ", "', () => {
    assert.equal(
      serializeExtensionHeader([
        {
          name: 'permessage-deflate',
          params: [
            ['client_max_window_bits', true],
            ['server_max_window_bits', '10'],
          ],
        },
        { name: 'x-foo', params: [] },
      ]),
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo',
    );
    assert.equal(serializeExtensionHeader([]), '');
  });
  test('parse(serialize(x)) === x for any list of tokens (fast-check)', () => {
    const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,8}$/);
    const extension = fc.record({
      name: token,
      params: fc.array(fc.tuple(token, fc.oneof(token, fc.constant(true as const))), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(extension, { minLength: 1, maxLength: 4 }), (extensions) => {
        // fast-check builds null-prototype records; compare plain copies.
        const plain = extensions.map(({ name, params }) => ({ name, params }));
        assert.deepEqual(parseExtensionHeader(serializeExtensionHeader(extensions)), plain);
      }),
      { numRuns: 300 },
    );
  });
});
