import type { IoRedisClient } from './redis-client.js';
import type { RedisLink, RedisLinkEvents } from './redis-link.js';

const noEvents: RedisLinkEvents = { message() {}, lost() {}, ready() {} };

/** A RedisLink over ioredis 5. */
export class IoRedisLink implements RedisLink {
  readonly library = 'ioredis' as const;
  private readonly client: IoRedisClient;
  private readonly subscriber: IoRedisClient;
  private events: RedisLinkEvents = noEvents;
  private readonly onMessage = (channel: Buffer, message: Buffer): void => {
    this.events.message(channel.toString('utf8'), message);
  };
  private readonly onLost = (error?: unknown): void => {
    if (!this.isReady())
      this.events.lost(error instanceof Error ? error : new Error('Redis connection closed'));
  };
  private readonly onReady = (): void => {
    if (this.isReady()) this.events.ready();
  };

  constructor(client: IoRedisClient) {
    this.client = client;
    this.subscriber = client.duplicate();
  }

  isReady(): boolean {
    return this.client.status === 'ready' && this.subscriber.status === 'ready';
  }

  async start(events: RedisLinkEvents): Promise<void> {
    this.events = events;
    this.subscriber.on('messageBuffer', this.onMessage);
    for (const connection of [this.client, this.subscriber]) {
      connection.on('error', this.onLost);
      connection.on('close', this.onLost);
      connection.on('reconnecting', this.onLost);
      connection.on('ready', this.onReady);
    }
    // ioredis connects by itself (unless lazyConnect); wait for both to be ready, bounded by the caller.
    await Promise.all([waitReady(this.client), waitReady(this.subscriber)]);
  }

  command(args: Array<string | Buffer>): Promise<unknown> {
    const [name, ...rest] = args;
    return this.client.callBuffer(String(name), ...rest);
  }

  async subscribe(channels: string[]): Promise<void> {
    if (channels.length > 0) await this.subscriber.subscribe(...channels);
  }

  async unsubscribe(channels: string[]): Promise<void> {
    if (channels.length > 0) await this.subscriber.unsubscribe(...channels);
  }

  async close(): Promise<void> {
    this.events = noEvents;
    this.subscriber.off('messageBuffer', this.onMessage);
    for (const connection of [this.client, this.subscriber]) {
      connection.off('error', this.onLost);
      connection.off('close', this.onLost);
      connection.off('reconnecting', this.onLost);
      connection.off('ready', this.onReady);
    }
    this.subscriber.on('error', () => {});
    this.subscriber.disconnect();
  }
}

function waitReady(connection: IoRedisClient): Promise<void> {
  if (connection.status === 'ready') return Promise.resolve();
  if (connection.status === 'wait')
    (connection as unknown as { connect(): Promise<void> }).connect().catch(() => {});
  return new Promise((resolve) => {
    const ready = (): void => {
      connection.off('ready', ready);
      resolve();
    };
    connection.on('ready', ready);
  });
}
