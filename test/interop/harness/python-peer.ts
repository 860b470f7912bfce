// Drives test/interop/python/peer.py as a child process: JSON-line commands in, JSON-line events out.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PYTHON } from './peer-availability.js';

export interface PeerEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

const script = join(process.cwd(), 'test/interop/python/peer.py');

export class PythonPeer {
  readonly #child: ChildProcess;
  readonly #events: PeerEvent[] = [];
  readonly #waiters: Array<() => void> = [];
  #stderr = '';
  #exited = false;

  constructor(args: readonly string[]) {
    this.#child = spawn(PYTHON, ['-u', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr?.setEncoding('utf8');
    this.#child.stderr?.on('data', (text: string) => {
      if (this.#stderr.length < 20_000) this.#stderr += text;
    });
    this.#child.stdin?.on('error', () => {}); // the peer may exit first; its events tell why
    this.#child.on('exit', () => {
      this.#exited = true;
      this.#wake();
    });
    const lines = createInterface({ input: this.#child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        this.#events.push(JSON.parse(line) as PeerEvent);
      } catch {
        this.#events.push({ event: 'unparsed', line });
      }
      this.#wake();
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  send(command: Record<string, unknown>): void {
    this.#child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** The next event named `name`, or any of the names given (earlier events of other names stay queued). */
  async next(name: string | readonly string[], timeoutMs = 20_000): Promise<PeerEvent> {
    const deadline = Date.now() + timeoutMs;
    const names: readonly string[] = typeof name === 'string' ? [name] : name;
    for (;;) {
      const index = this.#events.findIndex((event) => names.includes(event.event));
      if (index >= 0) return this.#events.splice(index, 1)[0] as PeerEvent;
      const failure = this.#events.find((event) => event.event === 'error');
      if (failure) throw new Error(`python peer error while waiting for ${name}: ${JSON.stringify(failure)}`);
      if (this.#exited) throw new Error(`python peer exited while waiting for ${name}: ${this.#stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for python ${name}; stderr: ${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Ends the peer: asks it to exit, then kills it if it has not within a second. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    this.send({ op: 'exit' });
    this.#child.stdin?.end();
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(timer);
  }
}
