import type { Clock } from '../connection/clock.js';

/**
 * The Node clock: monotonic time and timers that do not keep the process alive on their own (a
 * heartbeat or close deadline must not delay exit once nothing else is running).
 */
export const nodeClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
