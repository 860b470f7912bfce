// One benchmark server as a child process: started pinned to the server core with the memory probe
// preloaded, ready once it prints `listening ws://HOST:PORT/`, stopped with SIGTERM (then SIGKILL).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { memoryProbeUrl } from './paths.js';
import { pinnedNode, serverCore } from './pinning.js';

export interface ServerLaunch {
  /** Arguments after `node`: the script and its options. */
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** False when the server had no IPC probe and only RSS (from /proc) is known. */
  fromProbe: boolean;
}

const listeningLine = /^listening ws:\/\/[^\s/]+:(\d+)\/?/;

export class ServerProcess {
  private exited = false;
  private stderrTail = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('exit', () => {
      this.exited = true;
    });
    child.stderr?.on('data', (chunk: Buffer) => this.keepStderr(chunk));
  }

  private keepStderr(chunk: Buffer): void {
    this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  get errors(): string {
    return this.stderrTail.trim();
  }

  static start(launch: ServerLaunch, timeoutMs = 10_000): Promise<ServerProcess> {
    // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles every server run (Node refuses
    // --cpu-prof in NODE_OPTIONS); the profile is written when the server exits on the harness's signal.
    const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter((arg) => arg !== '') ?? [];
    const command = pinnedNode(serverCore, [
      ...extra,
      '--expose-gc',
      '--import',
      memoryProbeUrl,
      ...launch.args,
    ]);
    const child = spawn(command.file, command.args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...launch.env },
      ...(launch.cwd !== undefined ? { cwd: launch.cwd } : {}),
    });
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => fail(`no "listening ws://" line within ${timeoutMs} ms`), timeoutMs);
      function fail(reason: string): void {
        clearTimeout(timer);
        child.stdout?.off('data', onStdout);
        child.kill('SIGKILL');
        const detail = stderr.trim().split('\n').slice(-5).join('\n');
        reject(new Error(detail === '' ? reason : `${reason}\n${detail}`));
      }
      function onStdout(chunk: Buffer): void {
        stdout += chunk.toString();
        const newline = stdout.indexOf('\n');
        if (newline === -1) return;
        const first = stdout.slice(0, newline).trim();
        const match = listeningLine.exec(first);
        if (match === null) {
          fail(`first line was not "listening ws://HOST:PORT/": ${JSON.stringify(first.slice(0, 200))}`);
          return;
        }
        clearTimeout(timer);
        child.off('exit', onExit);
        child.stderr?.off('data', onStderr);
        child.stdout?.off('data', onStdout);
        child.stdout?.resume(); // keep draining whatever it prints later
        const server = new ServerProcess(child, Number(match[1]));
        server.keepStderr(Buffer.from(stderr));
        resolve(server);
      }
      function onStderr(chunk: Buffer): void {
        stderr = (stderr + chunk.toString()).slice(-4000);
      }
      function onExit(code: number | null, signal: string | null): void {
        fail(`server exited before listening (code ${code}, signal ${signal})`);
      }
      child.stdout?.on('data', onStdout);
      child.stderr?.on('data', onStderr);
      child.on('exit', onExit);
      child.on('error', (error) => fail(error.message));
    });
  }

  /** Memory after a full collection, from the preloaded probe; RSS from /proc if the probe is silent. */
  memory(timeoutMs = 5_000): Promise<MemorySample> {
    return new Promise((resolve, reject) => {
      const fallback = (): void => {
        cleanup();
        const rss = rssFromProc(this.child.pid);
        if (rss === null) reject(new Error('server memory unavailable'));
        else
          resolve({
            rss,
            heapUsed: Number.NaN,
            external: Number.NaN,
            arrayBuffers: Number.NaN,
            fromProbe: false,
          });
      };
      const timer = setTimeout(fallback, timeoutMs);
      const onMessage = (message: unknown): void => {
        const reply = message as { type?: string; usage?: NodeJS.MemoryUsage };
        if (reply.type !== 'memory' || reply.usage === undefined) return;
        cleanup();
        const usage = reply.usage;
        resolve({
          rss: usage.rss,
          heapUsed: usage.heapUsed,
          external: usage.external,
          arrayBuffers: usage.arrayBuffers,
          fromProbe: true,
        });
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
      };
      if (!this.child.connected) {
        fallback();
        return;
      }
      this.child.on('message', onMessage);
      this.child.send({ type: 'memory' });
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

function rssFromProc(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}
