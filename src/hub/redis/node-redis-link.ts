import type { NodeRedisClient } from './redis-client.js';
import type { RedisLink, RedisLinkEvents } from './redis-link.js';

/**
 * Replies as Buffers: v5 maps the RESP blob-string type (`$`, 36) through `typeMapping`; v4 reads
 * `returnBuffers`. Each version ignores the other's field.
 */
const BUFFER_REPLIES = { typeMapping: { 36: Buffer }, returnBuffers: true };

const noEvents: RedisLinkEvents = { message() {}, lost() {}, ready() {} };

/** A RedisLink over node-redis v4/v5. */
export class NodeRedisLink implements RedisLink {
  readonly library = 'node-redis' as const;
  private readonly client: NodeRedisClient;
  private readonly subscriber: NodeRedisClient;
  private events: RedisLinkEvents = noEvents;
  private readonly onMessage = (message: Buffer, channel: Buffer): void => {
    this.events.message(channel.toString('utf8'), message);
  };
  private readonly onLost = (error?: unknown): void => {
    if (!this.isReady())
      this.events.lost(error instanceof Error ? error : new Error('Redis connection closed'));
  };
  private readonly onReady = (): void => {
    if (this.isReady()) this.events.ready();
  };

  constructor(client: NodeRedisClient) {
    this.client = client;
    this.subscriber = client.duplicate();
  }

  isReady(): boolean {
    return this.client.isReady && this.subscriber.isReady;
  }

  async start(events: RedisLinkEvents): Promise<void> {
    this.events = events;
    for (const connection of [this.client, this.subscriber]) {
      connection.on('error', this.onLost);
      connection.on('end', this.onLost);
      connection.on('reconnecting', this.onLost);
      connection.on('ready', this.onReady);
    }
    if (!this.client.isOpen) await this.client.connect();
    await this.subscriber.connect();
  }

  command(args: Array<string | Buffer>): Promise<unknown> {
    return this.client.sendCommand(args, BUFFER_REPLIES);
  }

  async subscribe(channels: string[]): Promise<void> {
    // The listener is one function: node-redis keeps a set, so subscribing again adds no duplicate.
    if (channels.length > 0) await this.subscriber.subscribe(channels, this.onMessage, true);
  }

  async unsubscribe(channels: string[]): Promise<void> {
    if (channels.length > 0) await this.subscriber.unsubscribe(channels, this.onMessage, true);
  }

  async close(): Promise<void> {
    this.events = noEvents;
    for (const connection of [this.client, this.subscriber]) {
      connection.off('error', this.onLost);
      connection.off('end', this.onLost);
      connection.off('reconnecting', this.onLost);
      connection.off('ready', this.onReady);
    }
    // A late error from the closing subscriber must not reach an 'error' event with no listener.
    this.subscriber.on('error', () => {});
    if (typeof this.subscriber.destroy === 'function') this.subscriber.destroy();
    else if (typeof this.subscriber.disconnect === 'function') await this.subscriber.disconnect();
  }
}
