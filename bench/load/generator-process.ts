// The harness's side of the load generator: spawn it pinned to its core, then step it through
// start -> go -> finish, each step awaiting the generator's answer with a deadline.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Check, FromGenerator, LoadJob, Measured, Opened, ToGenerator } from './load-job.js';
import { loadGeneratorScript } from './paths.js';
import { generatorCore, pinnedNode } from './pinning.js';

export class GeneratorProcess {
  private readonly child: ChildProcess;
  private readonly inbox: FromGenerator[] = [];
  private waiting: ((message: FromGenerator) => void) | null = null;
  private stderrTail = '';
  private exited = false;
  /** Called when the measurement window opens (after warm-up), outside the step-by-step exchange. */
  onWindowStart: (() => void) | null = null;

  constructor() {
    // Headroom for 10,000+ sockets and their buffers.
    const command = pinnedNode(generatorCore, ['--max-old-space-size=2048', loadGeneratorScript]);
    this.child = spawn(command.file, command.args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    this.child.on('message', (message: FromGenerator) => this.deliver(message));
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      const detail = this.stderrTail.trim().split('\n').slice(-5).join('\n');
      this.deliver({
        type: 'error',
        message: `load generator exited (code ${code}, signal ${signal}) ${detail}`,
      });
    });
  }

  private deliver(message: FromGenerator): void {
    if (message.type === 'window-start') {
      this.onWindowStart?.();
      return;
    }
    const waiting = this.waiting;
    if (waiting !== null) {
      this.waiting = null;
      waiting(message);
    } else this.inbox.push(message);
  }

  private next(timeoutMs: number): Promise<FromGenerator> {
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        resolve({ type: 'error', message: `load generator silent for ${timeoutMs} ms` });
      }, timeoutMs);
      this.waiting = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
  }

  private async ask<T extends FromGenerator['type']>(
    message: ToGenerator,
    expected: T,
    timeoutMs: number,
  ): Promise<Extract<FromGenerator, { type: T }>> {
    if (!this.exited && this.child.connected) this.child.send(message);
    const answer = await this.next(timeoutMs);
    if (answer.type === 'error') throw new Error(answer.message);
    if (answer.type !== expected) throw new Error(`load generator said ${answer.type}, expected ${expected}`);
    return answer as Extract<FromGenerator, { type: T }>;
  }

  async start(job: LoadJob, timeoutMs: number): Promise<Opened> {
    return (await this.ask({ type: 'start', job }, 'opened', timeoutMs)).opened;
  }

  async go(timeoutMs: number): Promise<Measured> {
    return (await this.ask({ type: 'go' }, 'measured', timeoutMs)).measured;
  }

  async finish(timeoutMs: number): Promise<Check> {
    return (await this.ask({ type: 'finish' }, 'finished', timeoutMs)).check;
  }

  /** Waits briefly for a clean exit, then kills. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }
}
