// The transport around logic.js for one arena: who ticks it, where its inputs come from and where
// its snapshots go. Every server process runs one ArenaAuthority per arena; only the one holding
// the arena's lease ticks (see ../shared/lease.mjs).
//
// Inputs: pages publish them on `game.ARENA.input` (a topic no one subscribes to). Each tick the
// authority reads what was published since its last read from that topic's history: one read per
// tick, from whichever process the pages are connected to, in the one order the broker gave them.
// Snapshots: published on `game.ARENA.state` with the `latest-by-key` policy and a single key, so a
// subscriber that cannot keep up has at most one snapshot waiting: the newest. The topic keeps the
// last snapshot in its history, which is what a new authority rebuilds the arena from.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createArena, fromSnapshot, parseInput, step, toSnapshot } from './logic.js';

export const stateTopic = (arena) => `game.${arena}.state`;
export const inputTopic = (arena) => `game.${arena}.input`;
/** The latest-by-key key of every snapshot of an arena: one slot per subscriber and arena. */
export const SNAPSHOT_KEY = 'snapshot';

/** Topic options for the hub: see the module comment. */
export function gameTopicOptions(topic) {
  if (topic.endsWith('.state')) {
    return { historySize: 1, historyTtlMs: 600_000, backpressure: 'latest-by-key' };
  }
  if (topic.endsWith('.input')) return { historySize: 1024, historyTtlMs: 60_000 };
  return undefined;
}

/** A page's secret as the arena stores it: only its digest ever leaves this process. */
export function lockOf(secret) {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 22);
}

export class ArenaAuthority {
  #hub;
  #arena;
  #lease;
  #label;
  #hz;
  #items;
  #log;
  #leaseTimer;
  #tickTimer;
  #stopped = false;
  /** A lease call in flight: a Redis that answers slowly gets one call at a time, not a pile. */
  #leaseBusy = false;
  /** Set while this process holds the lease and ticks. */
  #term = 0;
  #state;
  #inputPosition;
  #nextTickAt = 0;
  #ticking = false;
  counters = { ticks: 0, inputs: 0, refused: 0, snapshots: 0, lateTicks: 0, terms: 0, errors: 0 };

  /**
   * @param {{ hub: import('fullduplex/hub').Hub, arena: string, lease: { acquire(): Promise<number>, renew(): Promise<boolean>, validFor(): number, release(): Promise<void> }, label: string, hz: number, items: number, leaseEveryMs: number, log?: (line: string) => void }} options
   */
  constructor({ hub, arena, lease, label, hz, items, leaseEveryMs, log = console.log }) {
    this.#hub = hub;
    this.#arena = arena;
    this.#lease = lease;
    this.#label = label;
    this.#hz = hz;
    this.#items = items;
    this.#log = log;
    this.#leaseTimer = setInterval(() => this.#keepLease(), leaseEveryMs);
    this.#keepLease();
  }

  /** For the status endpoint. */
  status() {
    return {
      arena: this.#arena,
      authority: this.#term > 0,
      term: this.#term,
      tick: this.#state?.tick ?? null,
      players: this.#state?.players.length ?? null,
      ...this.counters,
    };
  }

  async stop() {
    this.#stopped = true;
    clearInterval(this.#leaseTimer);
    this.#stopTicking();
    await this.#lease.release().catch(() => {});
  }

  async #keepLease() {
    if (this.#stopped || this.#leaseBusy) return;
    this.#leaseBusy = true;
    try {
      if (this.#term > 0) {
        if (!(await this.#lease.renew())) this.#lose('lease taken over');
        return;
      }
      const term = await this.#lease.acquire();
      if (term > 0 && !this.#stopped) {
        // Could not read the arena back: give the lease up for another try (here or elsewhere).
        await this.#begin(term).catch((error) => {
          this.#lease.release().catch(() => {});
          throw error;
        });
      }
    } catch (error) {
      this.counters.errors++;
      // Redis unreachable: keep ticking only while the lease is surely still ours (the tick checks).
      if (this.#term === 0) this.#log(`game ${this.#arena}: lease: ${error.message}`);
    } finally {
      this.#leaseBusy = false;
    }
  }

  /** Took the lease: rebuild the arena from its last snapshot (or start one) and tick. */
  async #begin(term) {
    const last = await this.#hub.history(stateTopic(this.#arena), { limit: 1 });
    const inputs = await this.#hub.history(inputTopic(this.#arena), { limit: 0 });
    const snapshot = last.ok ? readSnapshot(last.publications.at(-1)?.data) : undefined;
    this.#state = snapshot
      ? { ...fromSnapshot(snapshot), hz: this.#hz }
      : createArena({ seed: (Math.random() * 2 ** 32) >>> 0, items: this.#items, hz: this.#hz });
    // Inputs sent while no one ticked are stale: start after the newest one.
    this.#inputPosition = inputs.position;
    this.#term = term;
    this.counters.terms++;
    const from = snapshot ? `rebuilt from tick ${snapshot.tick}` : 'new arena';
    this.#log(`game ${this.#arena}: authority, term ${term} (${from})`);
    this.#nextTickAt = performance.now();
    this.#schedule();
  }

  #lose(why) {
    this.#log(`game ${this.#arena}: no longer the authority (${why})`);
    this.#stopTicking();
  }

  #stopTicking() {
    this.#term = 0;
    clearTimeout(this.#tickTimer);
    this.#tickTimer = undefined;
  }

  #schedule() {
    const period = 1000 / this.#hz;
    this.#nextTickAt += period;
    const now = performance.now();
    if (now - this.#nextTickAt > 5 * period) {
      // Far behind (a pause, a slow broker): skip the missed ticks rather than rush through them.
      this.counters.lateTicks++;
      this.#nextTickAt = now;
    }
    this.#tickTimer = setTimeout(() => this.#tick(), Math.max(0, this.#nextTickAt - now));
  }

  async #tick() {
    if (this.#term === 0) return;
    if (this.#ticking) {
      // The last tick of a term this process lost and took again is still out: wait for it.
      this.#schedule();
      return;
    }
    if (this.#lease.validFor() <= 0) {
      this.#lose('lease not renewed in time');
      return;
    }
    this.#ticking = true;
    const term = this.#term;
    try {
      const inputs = await this.#readInputs();
      if (this.#term !== term) return;
      const { state, events } = step(this.#state, inputs);
      this.#state = state;
      this.counters.ticks++;
      for (const event of events) if (event.type === 'refused') this.counters.refused++;
      const message = {
        arena: this.#arena,
        term,
        authority: this.#label,
        time: Date.now(),
        ...toSnapshot(state),
      };
      await this.#hub.publish(stateTopic(this.#arena), JSON.stringify(message), { key: SNAPSHOT_KEY });
      this.counters.snapshots++;
    } catch (error) {
      // A broker outage: this tick is skipped; the arena keeps its state and tries again next tick.
      this.counters.errors++;
      if (this.counters.errors % 100 === 1) this.#log(`game ${this.#arena}: tick: ${error.message}`);
    } finally {
      this.#ticking = false;
      if (this.#term === term) this.#schedule();
    }
  }

  /** The inputs published since the last read, decoded and checked; bad ones are counted and dropped. */
  async #readInputs() {
    const topic = inputTopic(this.#arena);
    let read = await this.#hub.history(topic, { since: this.#inputPosition });
    let publications;
    if (read.ok) {
      publications = read.publications;
    } else {
      // The history moved on without us: a new epoch (Redis lost its data, the topic idled past
      // its TTL) starts with what is retained; a gap keeps what follows our position.
      const previous = this.#inputPosition;
      read = await this.#hub.history(topic, {});
      if (!read.ok) throw new Error(`input history: ${read.reason}`);
      publications =
        read.position.epoch === previous.epoch
          ? read.publications.filter((publication) => publication.offset > previous.offset)
          : read.publications;
    }
    this.#inputPosition = read.position;
    const inputs = [];
    for (const publication of publications) {
      const parsed = decodeInput(publication.data);
      if (!parsed.ok) {
        this.counters.refused++;
        continue;
      }
      const { secret, ...input } = parsed.input;
      inputs.push({ ...input, lock: lockOf(secret) });
    }
    this.counters.inputs += inputs.length;
    return inputs;
  }
}

function decodeInput(data) {
  if (typeof data !== 'string' || data.length > 512) return { ok: false, reason: 'not a short text' };
  try {
    return parseInput(JSON.parse(data));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
}

function readSnapshot(data) {
  if (typeof data !== 'string') return undefined;
  try {
    const snapshot = JSON.parse(data);
    const valid =
      Number.isSafeInteger(snapshot.tick) && Array.isArray(snapshot.players) && Array.isArray(snapshot.items);
    return valid ? snapshot : undefined;
  } catch {
    return undefined;
  }
}
