import { IoRedisLink } from './ioredis-link.js';
import { NodeRedisLink } from './node-redis-link.js';
import type { RedisClient } from './redis-client.js';
import { isIoRedisClient, isNodeRedisClient } from './redis-client.js';

/** What a link reports to the broker. Callbacks must not throw. */
export interface RedisLinkEvents {
  /** A pub/sub message on a subscribed channel. */
  message(channel: string, message: Buffer): void;
  /** The command or the subscriber connection went down (or was never up). */
  lost(error: Error): void;
  /** Both connections are ready again (the subscriber may have lost its channels). */
  ready(): void;
}

/**
 * Two connections to one Redis, whatever the client library: the caller's client for commands and a
 * duplicate of it for pub/sub (a subscribed connection can run no other commands).
 */
export interface RedisLink {
  readonly library: 'node-redis' | 'ioredis';
  /** Both connections are ready. */
  isReady(): boolean;
  /** Connects what is not connected yet and starts reporting to `events`. */
  start(events: RedisLinkEvents): Promise<void>;
  /** Runs one command on the command connection; bulk strings come back as Buffers. */
  command(args: Array<string | Buffer>): Promise<unknown>;
  subscribe(channels: string[]): Promise<void>;
  unsubscribe(channels: string[]): Promise<void>;
  /** Closes the subscriber connection and stops listening to the caller's client (left open). */
  close(): Promise<void>;
}

export function redisLinkFor(client: RedisClient): RedisLink {
  if (isNodeRedisClient(client)) return new NodeRedisLink(client);
  if (isIoRedisClient(client)) return new IoRedisLink(client);
  throw new TypeError('client is neither a node-redis (redis) nor an ioredis client');
}
