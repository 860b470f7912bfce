// Property tests (fast-check), time-boxed by numRuns so the suite runs in seconds.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../src/errors.js';
import type { MaskSource } from '../../src/protocol/mask-source.js';
import { Protocol, type Role } from '../../src/protocol/protocol.js';
import { feedSplit, RecordingHandler } from '../helpers/frames.js';

type Op =
  | { kind: 'message'; type: 'text' | 'binary'; data: Buffer; fragmentSize: number }
  | { kind: 'ping'; data: Buffer };

const textData = fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text));
const binaryData = fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes));

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('message' as const),
    type: fc.constant('text' as const),
    data: textData,
    fragmentSize: fc.nat({ max: 64 }),
  }),
  fc.record({
    kind: fc.constant('message' as const),
    type: fc.constant('binary' as const),
    data: binaryData,
    fragmentSize: fc.nat({ max: 300 }),
  }),
  fc.record({
    kind: fc.constant('ping' as const),
    data: fc.uint8Array({ maxLength: 125 }).map((b) => Buffer.from(b)),
  }),
);

/** A MaskSource fed by fast-check, so masks vary and failures replay. */
function masksFrom(seed: number): MaskSource {
  let state = seed >>> 0 || 1;
  const mask = new Uint8Array(4);
  return {
    next() {
      for (let i = 0; i < 4; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        mask[i] = state & 0xff;
      }
      return mask;
    },
  };
}

/** Serialize `ops` as `role` would send them (a message with fragmentSize 0 is one frame). */
function serialize(ops: Op[], role: Role, seed: number): Buffer {
  const out: Buffer[] = [];
  const maskSource = masksFrom(seed);
  for (const op of ops) {
    if (op.kind === 'ping') {
      new Protocol(new RecordingHandler(), { role, maskSource }).framePing(op.data, out);
    } else {
      const sender = new Protocol(new RecordingHandler(), {
        role,
        maskSource,
        fragmentSize: op.fragmentSize,
      });
      sender.frameMessage(op.type, op.data, out);
    }
  }
  return Buffer.concat(out);
}

function receiverFor(role: Role) {
  const handler = new RecordingHandler();
  const protocol = new Protocol(handler, { role: role === 'client' ? 'server' : 'client' });
  return { handler, protocol };
}

function expectedMessages(ops: Op[]) {
  return ops.flatMap((op) => (op.kind === 'message' ? [{ type: op.type, data: op.data }] : []));
}

const cutsArbitrary = fc.array(fc.nat(), { maxLength: 12 });

describe('properties', () => {
  test('any chunking of a valid byte stream yields the same messages and pings', () => {
    fc.assert(
      fc.property(
        fc.array(opArbitrary, { maxLength: 8 }),
        fc.constantFrom<Role>('client', 'server'),
        fc.integer(),
        cutsArbitrary,
        (ops, role, seed, rawCuts) => {
          const bytes = serialize(ops, role, seed);
          const cuts = rawCuts.map((cut) => cut % (bytes.length + 1)).sort((a, b) => a - b);
          const whole = receiverFor(role);
          whole.protocol.receive(Buffer.from(bytes));
          const split = receiverFor(role);
          feedSplit((chunk) => split.protocol.receive(chunk), bytes, cuts);
          assert.deepEqual(split.handler.messages(), whole.handler.messages());
          const pings = (handler: RecordingHandler) => handler.summary().filter((e) => e.startsWith('ping'));
          assert.deepEqual(pings(split.handler), pings(whole.handler));
          assert.equal(split.handler.failure(), undefined);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('serialize then parse round-trips any message: text/binary, any fragment size, masked and not', () => {
    fc.assert(
      fc.property(
        fc.array(opArbitrary, { minLength: 1, maxLength: 6 }),
        fc.constantFrom<Role>('client', 'server'),
        fc.integer(),
        (ops, role, seed) => {
          const { handler, protocol } = receiverFor(role);
          protocol.receive(serialize(ops, role, seed));
          assert.deepEqual(handler.messages(), expectedMessages(ops));
          assert.equal(handler.failure(), undefined);
          assert.equal(protocol.state, 'open');
        },
      ),
      { numRuns: 300 },
    );
  });

  test('streamed fragments (frameFragment) round-trip to the joined message', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'text' | 'binary'>('text', 'binary'),
        fc.array(fc.uint8Array({ maxLength: 100 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom<Role>('client', 'server'),
        (type, parts, role) => {
          const data = Buffer.concat(parts);
          // Text fragments may cut code points anywhere; use ASCII so the whole is valid UTF-8.
          const chunks = parts.map((part) => Buffer.from(type === 'text' ? part.map((b) => b & 0x7f) : part));
          const sender = new Protocol(new RecordingHandler(), { role, maskSource: masksFrom(7) });
          const out: Buffer[] = [];
          chunks.forEach((chunk, i) => {
            sender.frameFragment(type, chunk, i === chunks.length - 1, out);
          });
          const { handler, protocol } = receiverFor(role);
          protocol.receive(Buffer.concat(out));
          assert.deepEqual(handler.messages(), [
            { type, data: type === 'text' ? Buffer.concat(chunks) : data },
          ]);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random bytes never throw past receive(): the stream stays valid or fails with a close code', () => {
    const validCodes = new Set([1002, 1007, 1009]);
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
        fc.constantFrom<Role>('client', 'server'),
        fc.nat({ max: 256 }),
        (chunks, role, maxPayload) => {
          const handler = new RecordingHandler();
          const protocol = new Protocol(handler, {
            role,
            maskSource: masksFrom(3),
            maxPayload,
            maxFragments: 4,
          });
          for (const chunk of chunks) protocol.receive(Buffer.from(chunk));
          const failures = handler.events.filter((event) => event.kind === 'fail');
          assert.ok(failures.length <= 1);
          const failure = handler.failure();
          if (failure) {
            assert.ok(failure instanceof ProtocolError);
            assert.ok(validCodes.has(failure.closeCode), `close code ${failure.closeCode}`);
            assert.equal(handler.events.at(-1)?.kind, 'fail', 'nothing happens after a fault');
            assert.equal(protocol.state, 'closed');
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('mutated valid streams never throw: each ends valid, closed by the peer, or failed with a code', () => {
    fc.assert(
      fc.property(
        fc.array(opArbitrary, { minLength: 1, maxLength: 5 }),
        fc.constantFrom<Role>('client', 'server'),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        cutsArbitrary,
        (ops, role, mutations, rawCuts) => {
          const bytes = serialize(ops, role, 11);
          if (bytes.length === 0) return;
          for (const [position, value] of mutations) bytes[position % bytes.length] = value;
          const cuts = rawCuts.map((cut) => cut % (bytes.length + 1)).sort((a, b) => a - b);
          const { handler, protocol } = receiverFor(role);
          feedSplit((chunk) => protocol.receive(chunk), bytes, cuts);
          const failure = handler.failure();
          if (failure) assert.ok([1002, 1007, 1009].includes(failure.closeCode));
        },
      ),
      { numRuns: 400 },
    );
  });
});
