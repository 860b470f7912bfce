// ServerMemoryBudget.shedOverBound (src/server/server-memory-budget.ts): at admission time, the
// connections over their own bound either way (a backlog, or an incoming message not yet complete)
// are shed while the budget is exceeded; connections under it never are.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Connection } from '../../../src/connection/connection.js';
import { CHUNK_OVERHEAD } from '../../../src/connection/message-gatherer.js';
import type { Transport, TransportHandler } from '../../../src/connection/transport.js';
import { BUDGET_SHED_REASON, ServerMemoryBudget } from '../../../src/server/server-memory-budget.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const KiB = 1024;
const MiB = 1024 * KiB;

class FakeTransport implements Transport {
  handler: TransportHandler | null = null;
  readonly written: Buffer[] = [];
  readonly writableLength = 0;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 1;
  setHandler(handler: TransportHandler): void {
    this.handler = handler;
  }
  write(chunks: Buffer[]): boolean {
    for (const chunk of chunks) this.written.push(Buffer.from(chunk));
    return true;
  }
  pause(): void {}
  resume(): void {}
  end(): void {}
  destroy(): void {}
}

/** A masked (zero key) client frame that is not the last of its message. */
function partialFrame(length: number): Buffer {
  const bytes = Buffer.alloc(2 + 8 + 4 + length, 0x61);
  bytes[0] = 0x02; // binary, FIN clear
  bytes[1] = 0x80 | 127;
  bytes.writeBigUInt64BE(BigInt(length), 2);
  bytes.fill(0, 10, 14);
  return bytes;
}

function connect(budget: ServerMemoryBudget): { connection: Connection; transport: FakeTransport } {
  const transport = new FakeTransport();
  const connection = new Connection(transport, { role: 'server', budget, clock: new FakeClock() });
  connection.onRawMessage(() => {});
  return { connection, transport };
}

describe('ServerMemoryBudget.shedOverBound', () => {
  test('a connection holding a partial message over its bound is shed (1013); one under its bound is not', async () => {
    const budget = new ServerMemoryBudget(4 * MiB);
    const big = connect(budget);
    const small = connect(budget);
    big.transport.handler?.onData(partialFrame(2 * MiB)); // grew while there was room
    small.transport.handler?.onData(partialFrame(512 * KiB));
    assert.equal(budget.shedOverBound([big.connection, small.connection]), 0, 'not exceeded: nothing shed');
    budget.charge(2 * MiB); // others push it over
    assert.equal(budget.shedOverBound([big.connection, small.connection]), 1);
    assert.equal(big.connection.readyState, 'closing');
    await new Promise((resolve) => setImmediate(resolve)); // the Close goes out on the next flush
    const close = Buffer.concat(big.transport.written);
    assert.equal(close[0], 0x88);
    assert.equal(close.readUInt16BE(2), 1013);
    assert.equal(small.connection.readyState, 'open');
    assert.equal(budget.usedInbound, 512 * KiB + CHUNK_OVERHEAD, 'the shed one let go of its message');
    assert.equal(BUDGET_SHED_REASON, 'server over its memory budget');
  });

  test('unread whole messages count towards the size, not towards the bound', () => {
    const budget = new ServerMemoryBudget(1 * MiB);
    const transport = new FakeTransport();
    const reader = new Connection(transport, { role: 'server', budget, clock: new FakeClock() });
    const whole = partialFrame(2 * MiB);
    whole[0] = 0x82; // FIN: a whole message, left unread in the inbox
    transport.handler?.onData(whole);
    assert.equal(budget.usedInbound, 2 * MiB);
    assert.equal(budget.shedOverBound([reader]), 0, 'the application chose not to read it yet');
    assert.equal(reader.readyState, 'open');
  });
});
