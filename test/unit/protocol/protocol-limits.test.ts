// One frozen set of limits per distinct options (issue 14: the core keeps a pointer, not eight fields
// and a boxed Infinity per connection); validation is unchanged.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../../src/errors.js';
import { applyMask } from '../../../src/protocol/mask.js';
import { Protocol } from '../../../src/protocol/protocol.js';
import { protocolLimits } from '../../../src/protocol/protocol-limits.js';
import {
  compressedFrameBound,
  DEFAULT_MAX_FRAGMENTS,
  DEFAULT_MAX_PAYLOAD,
  type ProtocolHandler,
} from '../../../src/protocol/protocol-options.js';

const handler: ProtocolHandler = {
  onMessageStart() {},
  onMessageData() {},
  onPing() {},
  onPong() {},
  onCloseFrame() {},
  onOutput() {},
  onFail() {},
};

describe('protocolLimits', () => {
  test('defaults applied, frozen, and the same object for the same values', () => {
    const limits = protocolLimits({ role: 'server' }, applyMask);
    assert.ok(Object.isFrozen(limits));
    assert.equal(limits.isServer, true);
    assert.equal(limits.maxPayload, DEFAULT_MAX_PAYLOAD);
    assert.equal(limits.maxFragments, DEFAULT_MAX_FRAGMENTS);
    assert.equal(limits.maxFrameSize, DEFAULT_MAX_PAYLOAD);
    assert.equal(limits.maxCompressedFrameSize, compressedFrameBound(DEFAULT_MAX_PAYLOAD));
    assert.equal(limits.fragmentSize, 0);
    assert.equal(limits.maskSource, null);
    assert.equal(limits.applyMask, applyMask);
    assert.equal(protocolLimits({ role: 'server', maxPayload: DEFAULT_MAX_PAYLOAD }, applyMask), limits);
  });

  test('any differing value gives its own object', () => {
    const base = protocolLimits({ role: 'server', maxPayload: 1000 }, applyMask);
    const others = [
      protocolLimits({ role: 'client', maxPayload: 1000 }, applyMask),
      protocolLimits({ role: 'server', maxPayload: 1001 }, applyMask),
      protocolLimits({ role: 'server', maxPayload: 1000, maxFragments: 4 }, applyMask),
      protocolLimits({ role: 'server', maxPayload: 1000, maxFrameSize: 10 }, applyMask),
      protocolLimits({ role: 'server', maxPayload: 1000, fragmentSize: 100 }, applyMask),
      protocolLimits({ role: 'server', maxPayload: 1000, applyMask: () => {} }, applyMask),
    ];
    for (const other of others) assert.notEqual(other, base);
    assert.equal(others[3]?.maxFrameSize, 10);
    assert.equal(others[3]?.maxCompressedFrameSize, compressedFrameBound(10));
    assert.equal(protocolLimits({ role: 'server', maxPayload: 1000 }, applyMask), base);
  });

  test('many distinct sets in turn: each still right (the cache only remembers a few)', () => {
    for (let round = 0; round < 2; round++)
      for (let size = 1; size <= 20; size++) {
        const limits = protocolLimits({ role: 'server', maxPayload: size }, applyMask);
        assert.equal(limits.maxPayload, size);
        assert.equal(limits.maxFrameSize, size);
      }
  });

  test('a bad limit still throws, from the core constructor too', () => {
    assert.throws(() => protocolLimits({ role: 'server', maxPayload: -1 }, applyMask), WebSocketError);
    assert.throws(() => new Protocol(handler, { role: 'server', maxFragments: 0 }), WebSocketError);
    assert.throws(() => new Protocol(handler, { role: 'server', fragmentSize: Number.NaN }), WebSocketError);
    assert.throws(
      () => new Protocol(handler, { role: 'server', maxFrameSize: 'big' as unknown as number }),
      WebSocketError,
    );
  });
});
