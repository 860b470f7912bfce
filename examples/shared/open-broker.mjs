// The broker an example runs on: Redis with --redis URL (through the `redis` package if installed,
// else `ioredis`), otherwise the in-process MemoryBroker of createHub (one process).
import { RedisBroker } from 'fullduplex/hub/redis';

async function load(name) {
  try {
    return await import(name);
  } catch (error) {
    if (error.code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/** A Redis client for `url` that reconnects forever (backoff capped at 1 s), and how to release it. */
async function redisClient(url) {
  const nodeRedis = await load('redis');
  if (typeof nodeRedis?.createClient === 'function') {
    const client = nodeRedis.createClient({
      url,
      socket: { reconnectStrategy: (retries) => Math.min(100 + retries * 100, 1000) },
    });
    return { client, release: () => client.destroy() };
  }
  const ioredis = await load('ioredis');
  const Redis = ioredis?.Redis ?? ioredis?.default;
  if (typeof Redis !== 'function') throw new Error('--redis needs the `redis` or `ioredis` package');
  const client = new Redis(url, { retryStrategy: (times) => Math.min(100 + times * 100, 1000) });
  return { client, release: () => client.disconnect() };
}

/**
 * `{ broker, close }` for `createHub({ broker })`: a RedisBroker when `url` is given, else
 * `broker: undefined` (createHub makes a MemoryBroker).
 */
export async function openBroker(url, { presenceTtlMs } = {}) {
  if (url === undefined) return { broker: undefined, close: async () => {} };
  if (!/^rediss?:\/\//.test(url)) throw new Error(`--redis takes redis://HOST:PORT, not ${url}`);
  const { client, release } = await redisClient(url);
  // The broker reports outages (hub.onStateChange); the client would repeat them once per retry.
  client.on('error', () => {});
  let broker;
  try {
    broker = await RedisBroker.connect({ client, ...(presenceTtlMs ? { presenceTtlMs } : {}) });
  } catch (error) {
    release();
    throw error;
  }
  return {
    broker,
    async close() {
      await broker.close();
      release();
    },
  };
}
