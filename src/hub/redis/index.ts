// The Redis broker (re-exports only). Imported as 'fullduplex/hub/redis'; needs `redis` or `ioredis`.

export type { RedisBrokerOptions } from './redis-broker.js';
export { DEFAULT_REDIS_PRESENCE_TTL_MS, RedisBroker } from './redis-broker.js';
export type { IoRedisClient, NodeRedisClient, RedisClient } from './redis-client.js';
