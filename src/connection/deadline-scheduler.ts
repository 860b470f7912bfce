import type { Clock } from './clock.js';

/** Something with one deadline at a time: the scheduler calls `expire` once `due` has passed. */
export interface Deadline {
  /** When it is due (the clock's ms); set by the scheduler. */
  due: number;
  /** Its index in the scheduler's heap, -1 when not scheduled; owned by the scheduler. */
  slot: number;
  /** Tie-break: deadlines due at the same instant expire in the order they were set, as timers do. */
  order: number;
  expire(now: number): void;
}

const schedulers = new WeakMap<Clock, DeadlineScheduler>();

/**
 * One timer per Clock for every connection's heartbeat and idle deadlines: a binary min-heap of
 * members, the clock's timer armed for the earliest. A member costs a few numbers and a heap slot
 * instead of a timer object and its closure, and rescheduling is O(log n) with no allocation.
 * Deadlines fire exactly when due (not on a coarse tick), so a fake clock sees the same instants
 * per-connection timers gave.
 */
export class DeadlineScheduler {
  readonly #clock: Clock;
  readonly #heap: Deadline[] = [];
  #timer: unknown = null;
  #armedFor = Number.POSITIVE_INFINITY;
  #order = 0;
  #firing = false;
  /** Made once: arming the timer allocates no closure. */
  readonly #onTimer = (): void => this.#fire();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The scheduler shared by everything on `clock`. */
  static for(clock: Clock): DeadlineScheduler {
    let scheduler = schedulers.get(clock);
    if (scheduler === undefined) {
      scheduler = new DeadlineScheduler(clock);
      schedulers.set(clock, scheduler);
    }
    return scheduler;
  }

  /** Deadlines scheduled (for tests and diagnostics). */
  get size(): number {
    return this.#heap.length;
  }

  /** Schedule `member` at `due`, or move it there if already scheduled. */
  set(member: Deadline, due: number): void {
    member.due = due;
    member.order = this.#order++;
    const heap = this.#heap;
    if (member.slot < 0) {
      member.slot = heap.length;
      heap.push(member);
      this.#up(member.slot);
    } else {
      this.#up(member.slot);
      this.#down(member.slot);
    }
    if (!this.#firing && due < this.#armedFor) this.#arm();
  }

  remove(member: Deadline): void {
    const slot = member.slot;
    if (slot < 0) return;
    this.#removeAt(slot);
    if (!this.#firing && this.#heap.length === 0) this.#disarm();
  }

  #removeAt(slot: number): void {
    const heap = this.#heap;
    const member = heap[slot] as Deadline;
    member.slot = -1;
    const last = heap.pop() as Deadline;
    if (last !== member) {
      heap[slot] = last;
      last.slot = slot;
      this.#up(slot);
      this.#down(last.slot);
    }
  }

  #arm(): void {
    this.#disarm();
    const top = this.#heap[0];
    if (top === undefined) return;
    this.#armedFor = top.due;
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(0, top.due - this.#clock.now()));
  }

  #disarm(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }

  #fire(): void {
    this.#timer = null;
    this.#armedFor = Number.POSITIVE_INFINITY;
    this.#firing = true;
    const heap = this.#heap;
    const now = this.#clock.now();
    try {
      for (let top = heap[0]; top !== undefined && top.due <= now; top = heap[0]) {
        this.#removeAt(0);
        try {
          top.expire(now);
        } catch (error) {
          // One member's failure must not stall the others' deadlines.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    } finally {
      this.#firing = false;
      this.#arm();
    }
  }

  #less(a: Deadline, b: Deadline): boolean {
    return a.due < b.due || (a.due === b.due && a.order < b.order);
  }

  #up(slot: number): void {
    const heap = this.#heap;
    const member = heap[slot] as Deadline;
    while (slot > 0) {
      const parentSlot = (slot - 1) >>> 1;
      const parent = heap[parentSlot] as Deadline;
      if (!this.#less(member, parent)) break;
      heap[slot] = parent;
      parent.slot = slot;
      slot = parentSlot;
    }
    heap[slot] = member;
    member.slot = slot;
  }

  #down(slot: number): void {
    const heap = this.#heap;
    const length = heap.length;
    const member = heap[slot] as Deadline;
    for (;;) {
      const left = 2 * slot + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && this.#less(heap[right] as Deadline, heap[left] as Deadline)) child = right;
      const smaller = heap[child] as Deadline;
      if (!this.#less(smaller, member)) break;
      heap[slot] = smaller;
      smaller.slot = slot;
      slot = child;
    }
    heap[slot] = member;
    member.slot = slot;
  }
}
