/**
 * The parts of a Redis client the Redis broker uses, typed by shape so that neither library is
 * imported: node-redis (`createClient()` from `redis`, v4 and v5) and ioredis (`new Redis()`) both
 * fit. The broker tells them apart by shape (see `redisLinkFor`).
 */

// biome-ignore lint/suspicious/noExplicitAny: event listeners of both libraries take varied arguments.
type Listener = (...args: any[]) => void;

/** node-redis v4/v5: `createClient({ url })` from the `redis` package. */
export interface NodeRedisClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  duplicate(): NodeRedisClient;
  sendCommand(args: Array<string | Buffer>, options?: object): Promise<unknown>;
  subscribe(channels: string | string[], listener: Listener, bufferMode?: boolean): Promise<unknown>;
  unsubscribe(channels?: string | string[], listener?: Listener, bufferMode?: boolean): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
  /** v5 */
  destroy?(): unknown;
  /** v4 */
  disconnect?(): Promise<unknown>;
}

/** ioredis 5: `new Redis(url)` from the `ioredis` package. */
export interface IoRedisClient {
  readonly status: string;
  duplicate(): IoRedisClient;
  callBuffer(command: string, ...args: Array<string | Buffer | number>): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
  disconnect(): void;
}

/** A client of either library. The broker uses it for commands and `duplicate()`s it to subscribe. */
export type RedisClient = NodeRedisClient | IoRedisClient;

export function isNodeRedisClient(client: RedisClient): client is NodeRedisClient {
  return typeof (client as NodeRedisClient).sendCommand === 'function' && 'isReady' in client;
}

export function isIoRedisClient(client: RedisClient): client is IoRedisClient {
  return typeof (client as IoRedisClient).callBuffer === 'function' && 'status' in client;
}
