// Clients of both Redis libraries the Redis broker supports, made the same way for every test.
import { Redis as IoRedis } from 'ioredis';
import { createClient } from 'redis';
import type { RedisClient } from '../../src/hub/redis/redis-client.js';

export interface ClientKind {
  readonly name: string;
  create(url: string): RedisClient;
  destroy(client: RedisClient): void;
}

export const nodeRedis: ClientKind = {
  name: 'node-redis',
  create: (url) => {
    const client = createClient({
      url,
      socket: { reconnectStrategy: (retries) => Math.min(50 + retries * 50, 300) },
    });
    client.on('error', () => {});
    return client; // node-redis fits RedisClient by shape, with no cast
  },
  destroy: (client) => (client as ReturnType<typeof createClient>).destroy(),
};

export const ioredis: ClientKind = {
  name: 'ioredis',
  create: (url) => {
    const client = new IoRedis(url, { retryStrategy: (times) => Math.min(50 + times * 50, 300) });
    client.on('error', () => {});
    return client; // and so does ioredis
  },
  destroy: (client) => (client as IoRedis).disconnect(),
};

export const clientKinds: readonly ClientKind[] = [nodeRedis, ioredis];
