// This machine's figures, read from /proc on Linux (with `node:os` where /proc is missing, e.g.
// macOS). CPU and network are rates: each reading keeps the counters it read, and the next one
// turns the difference into percentages and bytes per second.
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The counters one reading leaves for the next. */
export class MachineSampler {
  /** @type {{ time: number, cpus: { busy: number, total: number }[], rx: number, tx: number } | undefined} */
  #previous;

  /** Forget the counters (when sampling pauses, the next rate would span the pause). */
  reset() {
    this.#previous = undefined;
  }

  /**
   * Read the counters now. Returns the figures since the previous reading, or undefined on the
   * first one (a rate needs two readings).
   */
  read() {
    const time = performance.now();
    const cpus = readCpuTimes();
    const { rx, tx } = readNetworkBytes();
    const previous = this.#previous;
    this.#previous = { time, cpus, rx, tx };
    if (!previous) return undefined;
    const seconds = (time - previous.time) / 1000;
    const percent = (now, before) => {
      const total = now.total - before.total;
      return total > 0 ? round1((100 * (now.busy - before.busy)) / total) : 0;
    };
    const cores = cpus.map((now, i) => percent(now, previous.cpus[i] ?? now));
    const all = (list) => list.reduce((sum, c) => ({ busy: sum.busy + c.busy, total: sum.total + c.total }));
    return {
      cpu: { total: percent(all(cpus), all(previous.cpus)), cores },
      memory: readMemory(),
      load: os.loadavg().map(round2),
      // A counter that went backwards (an interface went away) counts as no traffic, not negative.
      network: {
        rx: Math.max(0, Math.round((rx - previous.rx) / seconds)),
        tx: Math.max(0, Math.round((tx - previous.tx) / seconds)),
      },
      processes: readProcessCounts(),
    };
  }
}

/** Busy and total jiffies (or milliseconds, from `os`) per core. */
function readCpuTimes() {
  const stat = readProc('/proc/stat');
  if (stat) {
    const cores = [];
    for (const line of stat.split('\n')) {
      if (!/^cpu\d+ /.test(line)) continue;
      // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
      const [user, nice, system, idle, iowait, irq, softirq, steal] = line
        .split(/\s+/)
        .slice(1, 9)
        .map((field) => Number(field) || 0);
      const waiting = idle + iowait;
      const busy = user + nice + system + irq + softirq + steal;
      cores.push({ busy, total: busy + waiting });
    }
    if (cores.length > 0) return cores;
  }
  return os.cpus().map(({ times }) => {
    const busy = times.user + times.nice + times.sys + times.irq;
    return { busy, total: busy + times.idle };
  });
}

/** Bytes in memory: total, used (total minus what is available), and swap. */
function readMemory() {
  const meminfo = readProc('/proc/meminfo');
  if (meminfo) {
    const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
    const total = kib('MemTotal');
    // MemAvailable counts reclaimable cache as free, as `free` does; older kernels lack it.
    const available = kib('MemAvailable') || kib('MemFree') + kib('Cached');
    return {
      total,
      used: Math.max(0, total - available),
      swapTotal: kib('SwapTotal'),
      swapUsed: Math.max(0, kib('SwapTotal') - kib('SwapFree')),
    };
  }
  const total = os.totalmem();
  return { total, used: total - os.freemem(), swapTotal: 0, swapUsed: 0 };
}

/** Bytes received and sent by every interface except loopback, since boot. */
function readNetworkBytes() {
  const dev = readProc('/proc/net/dev');
  let rx = 0;
  let tx = 0;
  if (!dev) return { rx, tx };
  for (const line of dev.split('\n').slice(2)) {
    const [name, counters] = line.split(':');
    if (counters === undefined || name.trim() === 'lo') continue;
    const fields = counters.trim().split(/\s+/);
    rx += Number(fields[0]) || 0;
    tx += Number(fields[8]) || 0;
  }
  return { rx, tx };
}

/** Runnable and total tasks (the fourth field of /proc/loadavg, e.g. `2/311`). */
function readProcessCounts() {
  const match = /\s(\d+)\/(\d+)\s/.exec(readProc('/proc/loadavg') ?? '');
  return match ? { running: Number(match[1]), total: Number(match[2]) } : undefined;
}

function readProc(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const round1 = (value) => Math.round(value * 10) / 10;
const round2 = (value) => Math.round(value * 100) / 100;
