// The server's pending-handshake table: which sockets hold one of its handshake slots, until when, and
// which one gives its slot up when the table is full. No sockets here: an entry carries whatever the
// server needs (T), time comes from a Clock, and the server is told when an entry expired or was
// evicted, and answers or closes that socket itself.
import type { Clock } from '../connection/clock.js';
import { nodeClock } from '../node/clock.js';

/**
 * How far a pending handshake got, least advanced first: no byte yet, in its TLS handshake (wss://),
 * part of its request head, the whole head (now waiting on the hooks and the 101).
 */
export type HandshakePhase = 'silent' | 'tls' | 'head' | 'negotiating';

/**
 * Passed to `admit` instead of an address: look the holder's address up (`addressOf`) only once the
 * table holds enough entries for the per-address cap or eviction to depend on it. Below that no
 * address can be at its cap, so a quiet server never looks one up (a getpeername call per accept).
 */
export const LOOK_UP_ADDRESS: unique symbol = Symbol('look up the address when needed');

/** Why a newcomer was not admitted. */
export type AdmissionRefusal = 'table-full' | 'address-full';

export interface AdmissionLimits {
  /** Entries at most (Infinity for none). */
  readonly maxPending: number;
  /** Entries of one remote address at most (Infinity for none); entries without an address are not capped. */
  readonly maxPerAddress: number;
  /** Milliseconds from admission to the end of the handshake (the default time left of `admit`). */
  readonly timeout: number;
  /** Milliseconds from admission within which a peer must send its first byte. */
  readonly firstByteTimeout: number;
}

/** What the table tells its owner. The entry has already left the table when these are called. */
export interface AdmissionEvents<T> {
  /** A deadline passed: the first-byte deadline (`firstByte`) or the handshake's own. */
  expired(holder: T, phase: HandshakePhase, firstByte: boolean): void;
  /** The entry gave its slot up to a newcomer. */
  evicted(holder: T, phase: HandshakePhase): void;
  /** Whether a peer in its TLS handshake has sent a byte yet (only the socket under TLS knows). */
  heard(holder: T): boolean;
  /** The remote address of a holder admitted with LOOK_UP_ADDRESS (undefined: none, not capped). */
  addressOf?(holder: T): string | undefined;
}

/** One pending handshake: a slot in the table. */
export class PendingEntry<T> {
  readonly holder: T;
  /** Undefined: no address (not capped), or not looked up yet (`unresolved`). */
  address: string | undefined;
  /** Admitted with LOOK_UP_ADDRESS and not looked up yet: counted under no address. */
  unresolved = false;
  phase: HandshakePhase;
  /** Clock time of admission. */
  readonly since: number;
  /** Clock time by which the whole handshake must be done. */
  readonly deadline: number;
  /** Clock time by which a silent peer must have sent a byte (Infinity when that check is past). */
  firstByteDeadline: number;
  timer: unknown;
  /** Set once the entry left the table (released, expired, evicted or cleared). */
  gone = false;

  constructor(
    holder: T,
    address: string | undefined,
    phase: HandshakePhase,
    since: number,
    deadline: number,
  ) {
    this.holder = holder;
    this.address = address;
    this.phase = phase;
    this.since = since;
    this.deadline = deadline;
    this.firstByteDeadline = Number.POSITIVE_INFINITY;
  }
}

/**
 * Milliseconds during which a silent (or TLS) socket counts as just arrived rather than as slow: a
 * real client's first bytes follow the accept at once (they travel with or right after TCP's last
 * ACK), but the server reads them a turn of its event loop later, maybe a slow one, and TLS takes a
 * few round trips. Meanwhile a newcomer must not be the first to make way for the next newcomer (an
 * attacker reconnecting at once would evict it before its request is read): it is evicted only after
 * every older handshake that is not itself just arrived, partial heads included.
 */
export const NEWCOMER_GRACE = 1000;

/** The first (oldest) entry of a phase whose address differs from `address` (undefined: any). */
function firstOfAnother<T>(
  entries: Set<PendingEntry<T>>,
  address: string | undefined,
): PendingEntry<T> | undefined {
  for (const entry of entries) {
    if (address === undefined || entry.address !== address) return entry;
  }
  return undefined;
}

/**
 * The pending-handshake table. Admission: a newcomer is refused when its address already holds
 * `maxPerAddress` entries; when all `maxPending` slots are taken, it takes the slot of the oldest of
 * the least-advanced entries of *another* address (silent, then in TLS, each once a second old, then
 * part-way through its head, then the newcomers of the last second; an entry whose head is complete
 * is never evicted), and is refused only if there is none. So neither one
 * address nor many can keep the table full against newcomers, while sockets of one address never
 * displace each other. Deadlines: a silent or TLS entry must send a byte within `firstByteTimeout`,
 * and every entry must finish within its time left.
 */
export class AdmissionTable<T> {
  readonly #limits: AdmissionLimits;
  readonly #events: AdmissionEvents<T>;
  readonly #clock: Clock;
  /** Entries by phase, each in the order they entered that phase (oldest first). */
  readonly #byPhase: Record<HandshakePhase, Set<PendingEntry<T>>> = {
    silent: new Set(),
    tls: new Set(),
    head: new Set(),
    negotiating: new Set(),
  };
  readonly #perAddress = new Map<string, number>();
  /** Entries admitted with LOOK_UP_ADDRESS whose address was not looked up yet. */
  #unresolved = 0;
  /**
   * From this many entries on, addresses matter: a newcomer may meet its address's cap
   * (maxPerAddress), or the table is full and eviction picks an entry of another address.
   */
  readonly #addressesFrom: number;

  constructor(limits: AdmissionLimits, events: AdmissionEvents<T>, clock: Clock = nodeClock) {
    this.#limits = limits;
    this.#events = events;
    this.#clock = clock;
    this.#addressesFrom = Math.min(limits.maxPerAddress, limits.maxPending);
  }

  /** Entries holding a slot now. */
  get size(): number {
    const phases = this.#byPhase;
    return phases.silent.size + phases.tls.size + phases.head.size + phases.negotiating.size;
  }

  /** Entries of one remote address now. */
  countOf(address: string): number {
    return this.#perAddress.get(address) ?? 0;
  }

  /**
   * Admits a newcomer in `phase`, evicting another entry if the table is full (the evicted entry's
   * `evicted` event runs before this returns), or says why it is refused. `timeLeft` defaults to the
   * table's timeout (a TLS socket moving on keeps its own entry instead: see `advance`).
   */
  admit(
    holder: T,
    addressOrLookUp: string | undefined | typeof LOOK_UP_ADDRESS,
    phase: HandshakePhase,
    timeLeft = this.#limits.timeout,
  ): PendingEntry<T> | AdmissionRefusal {
    const limits = this.#limits;
    const addressesMatter = this.size >= this.#addressesFrom;
    // Every entry's address counts now, also those admitted while the table was small.
    if (addressesMatter) this.#lookUpAll();
    let address: string | undefined;
    let unresolved = false;
    if (addressOrLookUp !== LOOK_UP_ADDRESS) address = addressOrLookUp;
    else if (addressesMatter) address = this.#events.addressOf?.(holder);
    else unresolved = true;
    if (address !== undefined && this.countOf(address) >= limits.maxPerAddress) return 'address-full';
    if (this.size >= limits.maxPending) {
      const victim = this.#victimFor(address);
      if (victim === undefined) return 'table-full';
      this.#remove(victim);
      this.#events.evicted(victim.holder, victim.phase);
    }
    const now = this.#clock.now();
    const entry = new PendingEntry(holder, address, phase, now, now + timeLeft);
    if (unresolved) {
      entry.unresolved = true;
      this.#unresolved++;
    }
    let delay = timeLeft;
    if ((phase === 'silent' || phase === 'tls') && limits.firstByteTimeout < timeLeft) {
      entry.firstByteDeadline = now + limits.firstByteTimeout;
      delay = limits.firstByteTimeout;
    }
    this.#byPhase[phase].add(entry);
    if (address !== undefined) this.#perAddress.set(address, this.countOf(address) + 1);
    this.#arm(entry, delay);
    return entry;
  }

  /** The entry got further (e.g. its first byte arrived, or its head is complete). Never backwards. */
  advance(entry: PendingEntry<T>, phase: HandshakePhase): void {
    if (entry.gone || entry.phase === phase) return;
    this.#byPhase[entry.phase].delete(entry);
    entry.phase = phase;
    this.#byPhase[phase].add(entry);
  }

  /** The handshake ended (answered, handed on, or its socket closed): its slot is free. */
  leave(entry: PendingEntry<T>): void {
    if (entry.gone) return;
    this.#remove(entry);
  }

  /** Shutdown: empties the table without events and returns every holder, for the owner to close. */
  clear(): T[] {
    const holders: T[] = [];
    for (const entries of Object.values(this.#byPhase)) {
      for (const entry of [...entries]) {
        holders.push(entry.holder);
        this.#remove(entry);
      }
    }
    return holders;
  }

  /**
   * The oldest of the least-advanced entries whose address differs from the newcomer's: silent, then
   * in TLS (each only once past NEWCOMER_GRACE), then part-way through its head, then the newcomers.
   */
  #victimFor(address: string | undefined): PendingEntry<T> | undefined {
    const phases = this.#byPhase;
    const arrivedBefore = this.#clock.now() - NEWCOMER_GRACE;
    const silent = firstOfAnother(phases.silent, address);
    if (silent !== undefined && silent.since <= arrivedBefore) return silent;
    const tls = firstOfAnother(phases.tls, address);
    if (tls !== undefined && tls.since <= arrivedBefore) return tls;
    return firstOfAnother(phases.head, address) ?? silent ?? tls;
  }

  /** Looks up the address of every entry admitted with LOOK_UP_ADDRESS and not looked up yet. */
  #lookUpAll(): void {
    if (this.#unresolved === 0) return;
    for (const entries of Object.values(this.#byPhase)) {
      for (const entry of entries) {
        if (!entry.unresolved) continue;
        entry.unresolved = false;
        const address = this.#events.addressOf?.(entry.holder);
        entry.address = address;
        if (address !== undefined) this.#perAddress.set(address, this.countOf(address) + 1);
      }
    }
    this.#unresolved = 0;
  }

  #remove(entry: PendingEntry<T>): void {
    this.#byPhase[entry.phase].delete(entry);
    entry.gone = true;
    this.#clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    if (entry.unresolved) {
      entry.unresolved = false;
      this.#unresolved--;
      return;
    }
    const address = entry.address;
    if (address === undefined) return;
    const left = this.countOf(address) - 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
  }

  /**
   * One timer per entry, at its next deadline, in whole milliseconds: Node keeps one timer list per
   * distinct duration, and a fractional duration per socket would make a list (and a priority-queue
   * entry) per handshake, which cost ~20 µs of each.
   */
  #arm(entry: PendingEntry<T>, delay: number): void {
    entry.timer = this.#clock.setTimeout(() => this.#due(entry), delay);
  }

  #due(entry: PendingEntry<T>): void {
    entry.timer = undefined;
    if (entry.gone) return;
    const now = this.#clock.now();
    if (now < entry.deadline) {
      // The first-byte deadline: past it only a peer that has said nothing at all is cut off.
      entry.firstByteDeadline = Number.POSITIVE_INFINITY;
      const quiet = entry.phase === 'silent' || (entry.phase === 'tls' && !this.#events.heard(entry.holder));
      if (!quiet) {
        this.#arm(entry, Math.max(0, Math.ceil(entry.deadline - now)));
        return;
      }
    }
    const phase = entry.phase;
    const firstByte = now < entry.deadline;
    this.#remove(entry);
    this.#events.expired(entry.holder, phase, firstByte);
  }
}
