// The Redis broker passes the broker contract on a real redis-server, with node-redis and with
// ioredis clients; each broker plays one process (its own client, its own subscriber connection).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Broker } from '../../../src/hub/broker.js';
import { RedisBroker } from '../../../src/hub/redis/redis-broker.js';
import type { RedisClient } from '../../../src/hub/redis/redis-client.js';
import { type ClientKind, ioredis, nodeRedis } from '../../helpers/redis-clients.js';
import { type RedisServer, redisMissing, startRedis } from '../../helpers/redis-server.js';
import { type BrokerFixture, brokerContract } from './broker-contract.js';

async function fixture(kind: ClientKind, prefix: string): Promise<BrokerFixture> {
  const redis: RedisServer = await startRedis();
  const clients = new Map<Broker, RedisClient>();
  return {
    async createBroker(options) {
      const client = kind.create(redis.url);
      const broker = await RedisBroker.connect({ client, prefix, ...options });
      clients.set(broker, client);
      return broker;
    },
    async crash(broker) {
      // A killed process: its connections drop with no cleanup, its presence is left to expire.
      const client = clients.get(broker);
      if (client) kind.destroy(client);
    },
    outage: { down: () => redis.kill(), up: () => redis.restart() },
    async teardown() {
      for (const client of clients.values()) {
        try {
          kind.destroy(client);
        } catch {}
      }
      await redis.stop();
    },
  };
}

const skip = redisMissing();
for (const kind of [nodeRedis, ioredis]) {
  describe(`Redis broker with ${kind.name}`, { skip, timeout: 120_000 }, () => {
    brokerContract(`redis (${kind.name})`, () => fixture(kind, `test-${kind.name}:`));
  });
}

describe('Redis broker client detection', () => {
  test('a client of neither library is refused with a clear error', async () => {
    await assert.rejects(RedisBroker.connect({ client: {} as RedisClient }), /neither a node-redis/);
  });
});
