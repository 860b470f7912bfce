// maxPayload with permessage-deflate (src/protocol/protocol.ts over the real zlib extension): RFC 7692
// sets no size limit, so bounding the inflated message rather than its compressed frame is our choice,
// named here rather than in test/conformance/. Issue 10: Python websockets sending maxPayload random
// bytes compressed used to get 1009.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { constants, deflateRawSync } from 'node:zlib';
import { PerMessageDeflate } from '../../../src/node/deflate.js';
import { drainContextPool } from '../../../src/node/zlib-context-pool.js';
import type { DeflateParameters } from '../../../src/protocol/extensions/permessage-deflate.js';
import { Opcode } from '../../../src/protocol/opcodes.js';
import { compressedFrameBound, Protocol } from '../../../src/protocol/protocol.js';
import { clientFrame, RecordingHandler } from '../../helpers/frames.js';

const TAKEOVER: DeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

after(() => drainContextPool());

// maxPayload bounds the message, not its compressed form: incompressible data grows by a few bytes per
// deflate block, so a message of exactly maxPayload random bytes arrives in a frame a little larger.
describe('maxPayload and permessage-deflate: the limit is on the inflated message', () => {
  const MiB = 1024 * 1024;
  const random = randomBytes(MiB);
  // Python websockets deflates with a 12-bit window and memLevel 5; ws with zlib's defaults.
  const senders = [
    { name: 'windowBits 12, memLevel 5 (Python websockets)', windowBits: 12, memLevel: 5 },
    { name: "windowBits 15, memLevel 8 (zlib's defaults, ws)", windowBits: 15, memLevel: 8 },
    { name: 'windowBits 9, memLevel 9 (a window smaller than a block)', windowBits: 9, memLevel: 9 },
    { name: 'windowBits 9, memLevel 1 (stored blocks of ~127 bytes: +4%)', windowBits: 9, memLevel: 1 },
  ];
  for (const sender of senders) {
    test(`1 MiB of random bytes deflated with ${sender.name} passes maxPayload 1 MiB`, () => {
      const deflated = deflateRawSync(random, {
        windowBits: sender.windowBits,
        memLevel: sender.memLevel,
        finishFlush: constants.Z_SYNC_FLUSH,
      });
      // RFC 7692 7.2.1: the sender drops the trailing 00 00 ff ff of the final flush.
      const payload = deflated.subarray(0, deflated.length - 4);
      assert.ok(payload.length > MiB, `${payload.length} bytes on the wire for 1 MiB`);
      const handler = new RecordingHandler();
      const extension = new PerMessageDeflate('server', {
        ...TAKEOVER,
        clientMaxWindowBits: sender.windowBits,
      });
      const protocol = new Protocol(handler, { role: 'server', extension, maxPayload: MiB });
      protocol.receive(clientFrame({ opcode: Opcode.binary, rsv1: true, payload }));
      assert.equal(handler.failure(), undefined, handler.failure()?.message);
      assert.ok(handler.messages()[0]?.data.equals(random), 'the message, byte for byte');
      // One byte more than maxPayload, however it is compressed, still fails with 1009.
      const over = deflateRawSync(Buffer.concat([random, Buffer.from('x')]), {
        windowBits: sender.windowBits,
        memLevel: sender.memLevel,
        finishFlush: constants.Z_SYNC_FLUSH,
      });
      protocol.receive(clientFrame({ opcode: Opcode.binary, rsv1: true, payload: over.subarray(0, -4) }));
      assert.equal(handler.failure()?.closeCode, 1009);
      assert.equal(handler.failure()?.message, `message exceeds ${MiB} bytes`);
      extension.dispose();
    });
  }

  test("a compressed frame past deflate's worst-case growth of maxFrameSize fails from its header", () => {
    const handler = new RecordingHandler();
    const extension = new PerMessageDeflate('server', TAKEOVER);
    const protocol = new Protocol(handler, { role: 'server', extension, maxPayload: MiB });
    const bound = compressedFrameBound(MiB);
    assert.ok(bound > MiB + MiB / 8 && bound < MiB + MiB / 7, `bound ${bound}`);
    protocol.receive(
      clientFrame({ opcode: Opcode.binary, rsv1: true, declaredLength: bound + 1 }).subarray(0, 14),
    );
    assert.equal(handler.failure()?.closeCode, 1009);
    assert.equal(handler.failure()?.message, `compressed frame exceeds ${bound} bytes`);
    extension.dispose();
  });
});
