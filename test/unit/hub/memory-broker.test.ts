// The memory broker passes the broker contract; several brokers on one MemoryBackend play processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Broker } from '../../../src/hub/broker.js';
import { MemoryBackend } from '../../../src/hub/memory-backend.js';
import { MemoryBroker } from '../../../src/hub/memory-broker.js';
import { brokerContract } from './broker-contract.js';

brokerContract('memory', async () => {
  const backend = new MemoryBackend();
  return {
    async createBroker(options) {
      return new MemoryBroker({ backend, ...options });
    },
    async crash(broker: Broker) {
      (broker as MemoryBroker).simulateCrash();
    },
    outage: {
      async down() {
        backend.setAvailable(false);
      },
      async up() {
        backend.setAvailable(true);
      },
    },
    async teardown() {},
  };
});

test('a publish made inside a delivery reaches every process after the one being delivered', async () => {
  const backend = new MemoryBackend();
  const a = new MemoryBroker({ backend });
  const b = new MemoryBroker({ backend });
  const options = { historySize: 0, historyTtlMs: 1000 };
  const seenByB: number[] = [];
  a.setHandler({
    onPublication(p) {
      if (p.offset === 1) void a.publish('t', 'reply', options);
    },
    onPresence() {},
    onStateChange() {},
  });
  b.setHandler({
    onPublication(p) {
      seenByB.push(p.offset);
    },
    onPresence() {},
    onStateChange() {},
  });
  await a.subscribe('t');
  await b.subscribe('t');
  await b.publish('t', 'first', options);
  assert.deepEqual(seenByB, [1, 2]);
  await a.close();
  await b.close();
});

test('presenceTtlMs must be positive', () => {
  assert.throws(() => new MemoryBroker({ presenceTtlMs: 0 }), RangeError);
});
