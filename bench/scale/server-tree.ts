// `fullduplex serve --workers N` as the scale run sees it: a primary and its node:cluster workers,
// pinned together to the server core, each with the scale probe preloaded. Memory and CPU are read
// per process from /proc and summed over the tree.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fullduplexCli, repositoryRoot } from '../load/paths.js';
import { pinnedNode, serverCore } from '../load/pinning.js';
import { spawnTracked, stopTracked } from './child-processes.js';

const probeUrl = new URL('./scale-probe.js', import.meta.url).href;
const listeningLine = /^listening ws:\/\/[^\s/]+:(\d+)\/?/;
/** USER_HZ: /proc/PID/stat counts CPU time in these ticks (100 on Linux). */
const ticksPerSecond = 100;

export interface TreeMemory {
  /** Sum over primary and workers, bytes. */
  rss: number;
  heapUsed: number;
  external: number;
  /** Largest worker's RSS and open file count: how close one process is to its limits. */
  maxWorkerRss: number;
  maxWorkerFds: number;
  processes: number;
}

export class ServerTree {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly probeDir: string,
  ) {}

  static async start(args: readonly string[], deadline: number, timeoutMs = 90_000): Promise<ServerTree> {
    const probeDir = mkdtempSync(join(tmpdir(), 'fullduplex-scale-probe-'));
    const command = pinnedNode(serverCore, [
      '--expose-gc',
      '--import',
      probeUrl,
      fullduplexCli,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      ...args,
    ]);
    const child = spawnTracked(command.file, command.args, {
      cwd: repositoryRoot,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        ...process.env,
        FULLDUPLEX_SCALE_PROBE_DIR: probeDir,
        FULLDUPLEX_SCALE_DEADLINE: String(deadline),
      },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(
        () => reject(new Error(`no listening line in ${timeoutMs} ms\n${stderr}`)),
        timeoutMs,
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = listeningLine.exec(stdout);
        if (match === null) return;
        clearTimeout(timer);
        resolve(Number(match[1]));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`serve exited before listening (code ${code}, signal ${signal})\n${stderr.trim()}`));
      });
    });
    child.stdout?.resume();
    return new ServerTree(child, port, probeDir);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The primary, then its workers. */
  pids(): number[] {
    const primary = this.child.pid as number;
    let workers: number[] = [];
    try {
      workers = readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter((pid) => pid !== '')
        .map(Number);
    } catch {
      // Exited.
    }
    return [primary, ...workers];
  }

  /** User + system CPU time of the whole tree so far, µs (primary first, then workers summed). */
  cpuMicros(): { primary: number; workers: number } {
    const [primary, ...workers] = this.pids().map(cpuOf);
    return { primary: primary ?? 0, workers: workers.reduce((total, each) => total + each, 0) };
  }

  /** Every process collects garbage twice, then memory is read; RSS from /proc, heap from the probe. */
  async memory(timeoutMs = 60_000): Promise<TreeMemory> {
    const pids = this.pids();
    for (const pid of pids) rmSync(`${this.probeDir}/${pid}.json`, { force: true });
    for (const pid of pids) process.kill(pid, 'SIGUSR2');
    const deadline = performance.now() + timeoutMs;
    while (!pids.every((pid) => existsSync(`${this.probeDir}/${pid}.json`))) {
      if (performance.now() > deadline) throw new Error('server processes did not answer the memory probe');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const result: TreeMemory = {
      rss: 0,
      heapUsed: 0,
      external: 0,
      maxWorkerRss: 0,
      maxWorkerFds: 0,
      processes: pids.length,
    };
    for (const [position, pid] of pids.entries()) {
      const usage = JSON.parse(readFileSync(`${this.probeDir}/${pid}.json`, 'utf8')) as NodeJS.MemoryUsage;
      const rss = rssOf(pid);
      result.rss += rss;
      result.heapUsed += usage.heapUsed;
      result.external += usage.external;
      if (position > 0) {
        result.maxWorkerRss = Math.max(result.maxWorkerRss, rss);
        result.maxWorkerFds = Math.max(result.maxWorkerFds, fdsOf(pid));
      }
    }
    return result;
  }

  async stop(): Promise<void> {
    // Closing every connection with 1001 takes a while at this size; then the group is killed.
    await stopTracked(this.child, 30_000);
    rmSync(this.probeDir, { recursive: true, force: true });
  }
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
  } catch {
    return 0;
  }
}

export function cpuOfPid(pid: number): number {
  return cpuOf(pid);
}

function fdsOf(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Whether /proc is there to read (Linux). */
export function procReadable(): boolean {
  return existsSync('/proc/self/stat') && statSync('/proc/self/stat').isFile();
}
