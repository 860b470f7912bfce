import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isToken, listHasToken, parseTokenList, trimOws } from '../../../../src/protocol/handshake/token.js';

describe('token', () => {
  test('isToken accepts every tchar and rejects separators, space, controls and non-ASCII', () => {
    assert.equal(isToken("!#$%&'*+-.^_`|~09azAZ"), true);
    for (const bad of [
      '',
      'a b',
      'a,b',
      'a;b',
      'a=b',
      'a"',
      '(a)',
      'a/b',
      'a:b',
      'a\tb',
      'a\x7f',
      'é',
      '[',
      '{',
      '@',
      '?',
      '\\',
    ]) {
      assert.equal(isToken(bad), false, JSON.stringify(bad));
    }
  });

  test('trimOws removes SP and HTAB only', () => {
    assert.equal(trimOws(' \t a b \t'), 'a b');
    assert.equal(trimOws('\na\n'), '\na\n');
    assert.equal(trimOws('   '), '');
  });

  test('parseTokenList splits on commas, trims, skips empty elements, rejects non-tokens', () => {
    assert.deepEqual(parseTokenList('chat, superchat'), ['chat', 'superchat']);
    assert.deepEqual(parseTokenList(' a ,, b ,'), ['a', 'b']);
    assert.deepEqual(parseTokenList(''), []);
    assert.equal(parseTokenList('a b'), null);
    assert.equal(parseTokenList('a, "b"'), null);
  });

  test('listHasToken compares elements case-insensitively', () => {
    assert.equal(listHasToken('keep-alive, Upgrade', 'upgrade'), true);
    assert.equal(listHasToken('WebSocket', 'websocket'), true);
    assert.equal(listHasToken('websockets', 'websocket'), false);
    assert.equal(listHasToken('upgraded', 'upgrade'), false);
    assert.equal(listHasToken(undefined, 'upgrade'), false);
  });
});
