// Warm-up, then a measurement window read from the clock at its edges (timers fire late on a busy
// loop; the elapsed time, not the nominal one, divides the counts).
import type { Measured } from './load-job.js';

export interface WindowCounts {
  seconds: number;
  counted: number;
  /** This process's CPU time over the window as a share of one core: near 100 means it was the limit. */
  generatorCpuPercent: number;
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
      // Tells the harness to sample the server's CPU time now (see run-scenario.ts).
      process.send?.({ type: 'window-start' });
      const startCount = read();
      const startTime = performance.now();
      const startCpu = process.cpuUsage();
      setTimeout(() => {
        const seconds = (performance.now() - startTime) / 1000;
        const cpu = process.cpuUsage(startCpu);
        const generatorCpuPercent = ((cpu.user + cpu.system) / 1e6 / seconds) * 100;
        resolve({ seconds, counted: read() - startCount, generatorCpuPercent });
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

/** A warm-up and a window over a count of completed echoes: messages/s and payload MiB/s. */
export async function measureThroughput(
  job: { warmupMs: number; measureMs: number; payloadSize: number },
  completed: () => number,
): Promise<Measured> {
  const window = await measureWindow(job.warmupMs, job.measureMs, completed);
  const messagesPerSecond = window.counted / window.seconds;
  return {
    seconds: window.seconds,
    generatorCpuPercent: window.generatorCpuPercent,
    messagesPerSecond,
    mebibytesPerSecond: (messagesPerSecond * job.payloadSize) / 1048576,
  };
}
