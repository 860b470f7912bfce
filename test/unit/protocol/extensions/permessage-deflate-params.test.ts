import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExtensionParam } from '../../../../src/protocol/extensions/extension-header.js';
import { readDeflateParams } from '../../../../src/protocol/extensions/permessage-deflate-params.js';

function read(params: ExtensionParam[], kind: 'offer' | 'response' = 'offer') {
  return readDeflateParams({ name: 'permessage-deflate', params }, kind);
}

describe('readDeflateParams (RFC 7692 7.1)', () => {
  test('no parameters', () => {
    assert.deepEqual(read([]), {
      ok: true,
      params: {
        serverNoContextTakeover: false,
        clientNoContextTakeover: false,
        serverMaxWindowBits: undefined,
        clientMaxWindowBits: undefined,
      },
    });
  });

  test('every window value 8..15 is read as a number, for both window parameters', () => {
    for (let bits = 8; bits <= 15; bits++) {
      const result = read([
        ['server_max_window_bits', String(bits)],
        ['client_max_window_bits', String(bits)],
      ]);
      assert.ok(result.ok);
      assert.equal(result.params.serverMaxWindowBits, bits);
      assert.equal(result.params.clientMaxWindowBits, bits);
    }
  });

  test('client_max_window_bits without a value: valid in an offer, not in a response (7.1.2.2)', () => {
    const offer = read([['client_max_window_bits', true]]);
    assert.ok(offer.ok);
    assert.equal(offer.params.clientMaxWindowBits, true);
    assert.equal(read([['client_max_window_bits', true]], 'response').ok, false);
  });

  test('faults name the parameter', () => {
    const cases: Array<[ExtensionParam[], RegExp]> = [
      [[['x', true]], /unknown parameter x/],
      [
        [
          ['client_no_context_takeover', true],
          ['client_no_context_takeover', true],
        ],
        /more than once/,
      ],
      [[['server_no_context_takeover', '1']], /no value/],
      [[['server_max_window_bits', true]], /needs a value/],
      [[['server_max_window_bits', '08']], /not 8\.\.15/],
      [[['client_max_window_bits', '+9']], /not 8\.\.15/],
      [[['client_max_window_bits', ' 9']], /not 8\.\.15/],
      [[['client_max_window_bits', '']], /not 8\.\.15/],
    ];
    for (const [params, reason] of cases) {
      const result = read(params);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    }
  });

  test('parameter names are case-sensitive tokens: a different case is unknown', () => {
    assert.equal(read([['Server_No_Context_Takeover', true]]).ok, false);
  });
});
