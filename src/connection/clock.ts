/** Time and timers as a port, so heartbeats and deadlines run on a fake clock in tests. */
export interface Clock {
  /** Milliseconds from an arbitrary origin, monotonic. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The portable default: the global timer functions and `performance.now()`, present in Node, Bun,
 * Deno and browsers. Node code passes `nodeClock` (src/node/clock.ts), whose timers do not hold
 * the process open.
 */
export const timerClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};
