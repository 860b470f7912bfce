// Warm-up, then a measurement window read from the clock at its edges (timers fire late on a busy
// loop; the elapsed time, not the nominal one, divides the counts).
export interface WindowCounts {
  seconds: number;
  counted: number;
}

export function measureWindow(
  warmupMs: number,
  measureMs: number,
  read: () => number,
  onStart?: () => void,
): Promise<WindowCounts> {
  return new Promise((resolve) => {
    setTimeout(() => {
      onStart?.();
      const startCount = read();
      const startTime = performance.now();
      setTimeout(() => {
        const seconds = (performance.now() - startTime) / 1000;
        resolve({ seconds, counted: read() - startCount });
      }, measureMs);
    }, warmupMs);
  });
}

/** Resolves once `done()` holds, polling every 5 ms; false after `timeoutMs`. */
export function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = performance.now() + timeoutMs;
    const poll = (): void => {
      if (done()) resolve(true);
      else if (performance.now() > deadline) resolve(false);
      else setTimeout(poll, 5);
    };
    poll();
  });
}
