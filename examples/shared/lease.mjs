// Which process does a job that must run exactly once among several (a game arena's tick, a price
// feed): the one holding its lease. With Redis, a lease is a key set with NX and a TTL; the holder
// renews it well before it expires, and a process that dies simply stops renewing, so another one
// takes over within the TTL. Each acquisition also takes a new `term` (a counter in Redis): what the
// holder publishes carries it, so a page can ignore a late message from a holder that lost its
// lease while it was paused.
//
// A holder only acts while its own clock says the lease is valid: the deadline counts from the
// moment the acquire or renew was *sent*, so network delay only shortens it, never stretches it.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

// KEYS[1] lease, KEYS[2] term counter; ARGV[1] owner token, ARGV[2] ttl ms. Returns the new term or 0.
const ACQUIRE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0`;
// KEYS[1] lease; ARGV[1] owner token, ARGV[2] ttl ms. 1 if still ours (and extended), else 0.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * A lease on one name in Redis. `acquire()` resolves with the new term, or 0 when someone else holds
 * it; `renew()` with whether it is still ours; `validFor()` is how long we may still act on it.
 */
export class RedisLease {
  #redis;
  #key;
  #termKey;
  #ttlMs;
  #token = randomBytes(12).toString('base64url');
  #validUntil = 0;

  /** @param {{ redis: RedisCommands, name: string, ttlMs: number }} options */
  constructor({ redis, name, ttlMs }) {
    this.#redis = redis;
    this.#key = `${name}:lease`;
    this.#termKey = `${name}:term`;
    this.#ttlMs = ttlMs;
  }

  async acquire() {
    const sent = performance.now();
    const term = Number(
      await this.#redis.eval(ACQUIRE, [this.#key, this.#termKey], [this.#token, this.#ttlMs]),
    );
    if (term > 0) this.#validUntil = sent + this.#ttlMs;
    return term;
  }

  async renew() {
    const sent = performance.now();
    const ours = Number(await this.#redis.eval(RENEW, [this.#key], [this.#token, this.#ttlMs])) === 1;
    this.#validUntil = ours ? sent + this.#ttlMs : 0;
    return ours;
  }

  /** Milliseconds left before this process must stop acting on the lease (0 if not held). */
  validFor() {
    return Math.max(0, this.#validUntil - performance.now());
  }

  /** Gives the lease up (if still ours), so another process takes over at once. */
  async release() {
    this.#validUntil = 0;
    await this.#redis.eval(RELEASE, [this.#key], [this.#token]);
  }
}

/** One process and no Redis: this process is the authority, always. */
export class LocalLease {
  async acquire() {
    return 1;
  }
  async renew() {
    return true;
  }
  validFor() {
    return Number.POSITIVE_INFINITY;
  }
  async release() {}
}

/**
 * @typedef {{ eval(script: string, keys: string[], args: Array<string | number>): Promise<unknown>, close(): Promise<void> }} RedisCommands
 */

/**
 * A Redis connection for the leases, with node-redis (package `redis`) if installed, else ioredis;
 * both are optional peers of fullduplex, as for the hub's RedisBroker. It reconnects by itself.
 * @returns {Promise<RedisCommands>}
 */
export async function connectRedis(url) {
  const nodeRedis = await optionalImport('redis');
  if (nodeRedis) {
    const client = nodeRedis.createClient({
      url,
      socket: { reconnectStrategy: (retries) => Math.min(100 + retries * 100, 1000) },
    });
    client.on('error', () => {}); // outages show up as failed renewals; the broker logs them too
    await client.connect();
    return {
      eval: (script, keys, args) =>
        client.sendCommand(['EVAL', script, String(keys.length), ...keys, ...args.map(String)]),
      close: async () => (typeof client.destroy === 'function' ? client.destroy() : client.disconnect()),
    };
  }
  const ioredis = await optionalImport('ioredis');
  const Redis = ioredis?.Redis ?? ioredis?.default;
  if (typeof Redis !== 'function') throw new Error('--redis needs the `redis` or the `ioredis` package');
  const client = new Redis(url, { retryStrategy: (times) => Math.min(100 + times * 100, 1000) });
  client.on('error', () => {});
  return {
    eval: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
    close: async () => client.disconnect(),
  };
}

async function optionalImport(name) {
  try {
    return await import(name);
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}
