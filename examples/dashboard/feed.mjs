// One group's price feed. Exactly one process feeds a group at a time: the holder of the group's
// lease (shared/lease.mjs: in Redis with several processes, always this one without). Every tick
// it moves the prices of the symbols that trade and publishes each on the group's topic with the
// symbol as the key; every second it publishes the whole group on the snapshot topic (history 1),
// which is what a page shows first and what a new holder of the lease resumes from.
import { nextPrice } from './market.mjs';

export const updateTopic = (group) => `ticker.g${group}`;
export const snapshotTopic = (group) => `ticker.g${group}.snapshot`;
const SNAPSHOT_EVERY_MS = 1000;

export class GroupFeed {
  #hub;
  #group;
  #symbols;
  #lease;
  #label;
  #activity;
  #log;
  #timers = [];
  /** symbol -> { p, o, t } while this process feeds the group; null while it does not. */
  #quotes = null;
  #term = 0;
  #lastSnapshot = 0;
  published = 0;
  failed = 0;

  constructor({ hub, group, symbols, lease, label, intervalMs, activity, leaseEveryMs, log }) {
    this.#hub = hub;
    this.#group = group;
    this.#symbols = symbols;
    this.#lease = lease;
    this.#label = label;
    this.#activity = activity;
    this.#log = log;
    this.#timers.push(setInterval(() => void this.#keepLease(), leaseEveryMs));
    this.#timers.push(setInterval(() => this.#tick(), intervalMs));
    void this.#keepLease();
  }

  /** Is this process feeding the group now? */
  get feeding() {
    return this.#quotes !== null && this.#lease.validFor() > 0;
  }

  status() {
    return { group: this.#group, feeding: this.feeding, term: this.#term, published: this.published };
  }

  async stop() {
    for (const timer of this.#timers) clearInterval(timer);
    this.#quotes = null;
    await this.#lease.release().catch(() => {});
  }

  async #keepLease() {
    try {
      if (this.#quotes !== null) {
        if (await this.#lease.renew()) return;
        this.#quotes = null;
        this.#log(`ticker: lost the lease of group ${this.#group}`);
      }
      const term = await this.#lease.acquire();
      if (term === 0) return;
      this.#term = term;
      this.#quotes = await this.#resume();
      this.#log(`ticker: feeding group ${this.#group} (term ${term})`);
    } catch (error) {
      // Redis unreachable: not holding a lease we cannot renew is the safe side.
      this.#quotes = null;
      this.#log(`ticker: lease of group ${this.#group}: ${error.message}`);
    }
  }

  /** Prices from the group's last snapshot (another process fed it before), or the opening ones. */
  async #resume() {
    const quotes = new Map(this.#symbols.map(({ symbol, open }) => [symbol, { p: open, o: open, t: 0 }]));
    const last = await this.#hub.history(snapshotTopic(this.#group), { limit: 1 });
    const snapshot = last.ok ? last.publications.at(-1) : undefined;
    if (snapshot) {
      for (const [symbol, p, o, t] of JSON.parse(String(snapshot.data)).quotes) {
        if (quotes.has(symbol)) quotes.set(symbol, { p, o, t });
      }
    }
    return quotes;
  }

  #tick() {
    if (!this.feeding) return;
    const now = Date.now();
    for (const [s, quote] of this.#quotes) {
      if (Math.random() >= this.#activity) continue;
      quote.p = nextPrice(quote.p);
      quote.t = now;
      this.#publish(updateTopic(this.#group), JSON.stringify({ s, p: quote.p, o: quote.o, t: now }), s);
    }
    if (now - this.#lastSnapshot >= SNAPSHOT_EVERY_MS) {
      this.#lastSnapshot = now;
      const quotes = [...this.#quotes].map(([s, { p, o, t }]) => [s, p, o, t]);
      const snapshot = { group: this.#group, by: this.#label, term: this.#term, t: now, quotes };
      // The key is unique per connection's queue, across topics: one per group.
      this.#publish(snapshotTopic(this.#group), JSON.stringify(snapshot), `snapshot.g${this.#group}`);
    }
  }

  #publish(topic, json, key) {
    this.published++;
    this.#hub.publish(topic, json, { key }).catch(() => {
      this.failed++; // the broker is down: this price is gone, the next one follows
    });
  }
}
