import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError, WebSocketError } from '../../../src/errors.js';
import {
  buildClosePayload,
  isValidCloseCode,
  parseClosePayload,
} from '../../../src/protocol/close-payload.js';
import { closeBody, hex } from '../../helpers/frames.js';

describe('close payload (RFC 6455 sections 5.5.1, 7.4)', () => {
  test('valid codes on the wire: 1000-1003, 1007-1014, 3000-4999', () => {
    const validCodes: number[] = [];
    for (let code = 0; code < 6000; code++) if (isValidCloseCode(code)) validCodes.push(code);
    const expected = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014];
    for (let code = 3000; code <= 4999; code++) expected.push(code);
    assert.deepEqual(validCodes, expected);
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])
      assert.ok(!isValidCloseCode(code));
  });

  test('parses an empty body as 1005 with no reason', () => {
    assert.deepEqual(parseClosePayload(Buffer.alloc(0)), { code: 1005, reason: '' });
  });

  test('parses code and UTF-8 reason', () => {
    assert.deepEqual(parseClosePayload(closeBody(1000, 'bye ✓')), { code: 1000, reason: 'bye ✓' });
    assert.deepEqual(parseClosePayload(closeBody(4999)), { code: 4999, reason: '' });
  });

  test('a 1-byte body fails with 1002', () => {
    assert.throws(
      () => parseClosePayload(hex('03')),
      (error: ProtocolError) => error.closeCode === 1002,
    );
  });

  test('codes not allowed on the wire fail with 1002', () => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000]) {
      assert.throws(
        () => parseClosePayload(closeBody(code)),
        (error: unknown) => error instanceof ProtocolError && error.closeCode === 1002,
        String(code),
      );
    }
  });

  test('a reason that is not UTF-8 fails with 1007', () => {
    assert.throws(
      () => parseClosePayload(closeBody(1000, hex('ce ba e1 bd b9 ed a0 80'))),
      (error: unknown) => error instanceof ProtocolError && error.closeCode === 1007,
    );
  });

  test('builds code + reason, and an empty body without a code', () => {
    assert.deepEqual(Buffer.from(buildClosePayload(1000, 'ok')), hex('03 e8 6f 6b'));
    assert.equal(buildClosePayload(undefined).length, 0);
    assert.equal(buildClosePayload(3000, 'x'.repeat(123)).length, 125);
  });

  test('refuses to build codes that may not be sent and reasons over 123 bytes', () => {
    for (const code of [1004, 1005, 1006, 1015, 999, 5000, 1000.5]) {
      assert.throws(
        () => buildClosePayload(code),
        (error: unknown) => error instanceof WebSocketError && error.code === 'ERR_INVALID_ARGUMENT',
      );
    }
    assert.throws(() => buildClosePayload(1000, 'é'.repeat(62)), /at most 123/);
    assert.throws(() => buildClosePayload(undefined, 'reason'), /needs a close code/);
  });
});
