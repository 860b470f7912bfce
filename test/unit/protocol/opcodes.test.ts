import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isControlOpcode, isKnownOpcode, Opcode } from '../../../src/protocol/opcodes.js';

describe('opcodes (RFC 6455 section 5.2)', () => {
  test('wire values', () => {
    assert.deepEqual(Opcode, { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 });
  });
  test('known and control opcodes', () => {
    const known = [];
    for (let opcode = 0; opcode < 16; opcode++) if (isKnownOpcode(opcode)) known.push(opcode);
    assert.deepEqual(known, [0, 1, 2, 8, 9, 10]);
    assert.ok(isControlOpcode(8) && isControlOpcode(15) && !isControlOpcode(2) && !isControlOpcode(7));
  });
});
