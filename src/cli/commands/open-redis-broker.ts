import { RedisBroker } from '../../hub/redis/redis-broker.js';
import type { RedisClient } from '../../hub/redis/redis-client.js';
import { UsageError } from '../flags.js';

/** A Redis broker for `serve --redis URL`, and how to release it and its client. */
export interface OpenedRedisBroker {
  readonly broker: RedisBroker;
  close(): Promise<void>;
}

// The Redis libraries are optional peers: loaded by name at run time, never imported statically.
async function load(name: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * Connects to Redis at `url` with node-redis (package `redis`) if it is installed, else ioredis.
 * Reconnects forever with a backoff capped at 1 s, so a Redis that comes back is found quickly.
 */
export async function openRedisBroker(url: string, presenceTtlMs: number): Promise<OpenedRedisBroker> {
  if (!/^rediss?:\/\//.test(url))
    throw new UsageError(`--redis takes redis://HOST:PORT, not ${JSON.stringify(url)}`);
  let client: RedisClient;
  let release: () => void;
  const nodeRedis = await load('redis');
  if (nodeRedis && typeof nodeRedis.createClient === 'function') {
    const created = (nodeRedis.createClient as (options: object) => RedisClient & { destroy(): void })({
      url,
      socket: { reconnectStrategy: (retries: number) => Math.min(100 + retries * 100, 1000) },
    });
    client = created;
    release = () => created.destroy();
  } else {
    const ioredis = await load('ioredis');
    const Redis = (ioredis?.Redis ?? ioredis?.default) as
      | (new (
          url: string,
          options: object,
        ) => RedisClient & { disconnect(): void })
      | undefined;
    if (typeof Redis !== 'function') {
      throw new UsageError('--redis needs the `redis` or the `ioredis` package: npm install redis');
    }
    const created = new Redis(url, { retryStrategy: (times: number) => Math.min(100 + times * 100, 1000) });
    client = created;
    release = () => created.disconnect();
  }
  // The broker reports outages; the client's own error events are the same news, told per retry.
  (client as { on(event: string, listener: () => void): unknown }).on('error', () => {});
  let broker: RedisBroker;
  try {
    broker = await RedisBroker.connect({ client, presenceTtlMs });
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
