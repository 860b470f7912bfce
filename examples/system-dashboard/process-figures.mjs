// This server process's own figures: CPU time, memory and event-loop delay.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export class ProcessSampler {
  #delay = monitorEventLoopDelay({ resolution: 20 });
  /** @type {{ time: number, cpu: NodeJS.CpuUsage } | undefined} */
  #previous;

  start() {
    this.#delay.enable();
  }

  stop() {
    this.#delay.disable();
    this.#delay.reset();
    this.#previous = undefined;
  }

  /** Figures since the previous reading (CPU undefined on the first). */
  read() {
    const time = performance.now();
    const cpu = process.cpuUsage();
    const previous = this.#previous;
    this.#previous = { time, cpu };
    const { rss, heapUsed } = process.memoryUsage();
    // p99 of the event loop's delay since the last reading, in ms: how late timers and I/O ran.
    const delay = this.#delay.count > 0 ? this.#delay.percentile(99) / 1e6 : 0;
    this.#delay.reset();
    let cpuPercent;
    if (previous) {
      const micros = cpu.user - previous.cpu.user + (cpu.system - previous.cpu.system);
      cpuPercent = Math.round((micros / 10 / (time - previous.time)) * 10) / 10;
    }
    return {
      cpu: cpuPercent,
      rss,
      heapUsed,
      eventLoopDelay: Math.round(delay * 10) / 10,
      uptime: Math.round(process.uptime()),
    };
  }
}
