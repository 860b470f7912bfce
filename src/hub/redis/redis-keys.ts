/**
 * The names the Redis broker gives its keys and channels: those of one topic share its `{topic}` hash
 * tag, under the broker's prefix.
 */
export class RedisKeys {
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** The pub/sub channel of the topic's live publications and presence changes. */
  channel(topic: string): string {
    return `${this.#prefix}{${topic}}`;
  }

  /** The topic's epoch and last offset. */
  meta(topic: string): string {
    return `${this.#prefix}{${topic}}:meta`;
  }

  /** The stream of the topic's recent publications. */
  history(topic: string): string {
    return `${this.#prefix}{${topic}}:history`;
  }

  /** The hash of the topic's presence entries. */
  presence(topic: string): string {
    return `${this.#prefix}{${topic}}:presence`;
  }

  /** The key whose expiry tells a process's presence entries are gone; `owner('')` is its prefix. */
  owner(ownerId: string): string {
    return `${this.#prefix}owner:${ownerId}`;
  }
}
