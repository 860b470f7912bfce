// The scale run's load side: G generator processes pinned to the generator core, each owning its own
// loopback source addresses and its share of the connections. Every request goes to all of them at
// once and waits for every answer, each with a deadline.
import type { ChildProcess } from 'node:child_process';
import { generatorCore, pinnedNode } from '../load/pinning.js';
import { spawnTracked, stopTracked } from './child-processes.js';
import {
  type FromScaleGenerator,
  type GeneratorSetup,
  shareOf,
  type ToScaleGenerator,
} from './scale-protocol.js';

const generatorScript = new URL('./scale-generator.js', import.meta.url).pathname;

class Generator {
  private readonly inbox: FromScaleGenerator[] = [];
  private waiting: ((message: FromScaleGenerator) => void) | null = null;
  private stderrTail = '';

  constructor(readonly child: ChildProcess) {
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    child.on('message', (message: FromScaleGenerator) => this.deliver(message));
    child.on('exit', (code, signal) =>
      this.deliver({
        type: 'error',
        message: `generator exited (code ${code}, signal ${signal}) ${this.stderrTail.trim().split('\n').slice(-3).join(' ')}`,
      }),
    );
  }

  private deliver(message: FromScaleGenerator): void {
    const waiting = this.waiting;
    if (waiting === null) this.inbox.push(message);
    else {
      this.waiting = null;
      waiting(message);
    }
  }

  async ask<T extends FromScaleGenerator['type']>(
    message: ToScaleGenerator,
    expected: T,
    timeoutMs: number,
  ): Promise<Extract<FromScaleGenerator, { type: T }>> {
    if (this.child.connected) this.child.send(message);
    const answer =
      this.inbox.shift() ??
      (await new Promise<FromScaleGenerator>((resolve) => {
        const timer = setTimeout(() => {
          this.waiting = null;
          resolve({ type: 'error', message: `generator silent for ${timeoutMs} ms after ${message.type}` });
        }, timeoutMs);
        this.waiting = (reply) => {
          clearTimeout(timer);
          resolve(reply);
        };
      }));
    if (answer.type === 'error') throw new Error(answer.message);
    if (answer.type !== expected) throw new Error(`generator said ${answer.type}, expected ${expected}`);
    return answer as Extract<FromScaleGenerator, { type: T }>;
  }
}

export interface FleetOptions {
  generators: number;
  /** Source addresses per generator: 127.(10+g).0.1, .2, ... */
  sourcesPerGenerator: number;
  concurrency: number;
  handshakeTimeoutMs: number;
}

export class GeneratorFleet {
  private constructor(
    private readonly generators: Generator[],
    private readonly options: FleetOptions,
  ) {}

  static async start(options: FleetOptions, deadline: number): Promise<GeneratorFleet> {
    const generators: Generator[] = [];
    for (let index = 0; index < options.generators; index++) {
      // Headroom for ~20,000 sockets and their buffers.
      const command = pinnedNode(generatorCore, ['--max-old-space-size=2048', generatorScript]);
      const child = spawnTracked(command.file, command.args, {
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
        env: { ...process.env, FULLDUPLEX_SCALE_DEADLINE: String(deadline) },
      });
      generators.push(new Generator(child));
    }
    return new GeneratorFleet(generators, options);
  }

  /** Points every generator at a server (and at hub topics when `topics` > 0). */
  async setup(port: number, topics: number, topicPrefix: string): Promise<void> {
    const { generators, options } = this;
    await Promise.all(
      generators.map((generator, index) => {
        const setup: GeneratorSetup = {
          index,
          of: generators.length,
          host: '127.0.0.1',
          port,
          localAddresses: Array.from(
            { length: options.sourcesPerGenerator },
            (_, address) => `127.${10 + index}.0.${1 + address}`,
          ),
          concurrency: options.concurrency,
          handshakeTimeoutMs: options.handshakeTimeoutMs,
          topics,
          topicPrefix,
        };
        return generator.ask({ type: 'setup', setup }, 'ready', 30_000);
      }),
    );
  }

  /** Grows the set to `total` connections over all generators; none starts a handshake after `until`. */
  grow(total: number, until: number) {
    const of = this.generators.length;
    // Past `until`, pending handshakes still finish (or time out): that, and slack, is the deadline.
    const timeoutMs = until - Date.now() + this.options.handshakeTimeoutMs + 30_000;
    return Promise.all(
      this.generators.map((generator, index) =>
        generator.ask({ type: 'grow', connections: shareOf(total, index, of), until }, 'grown', timeoutMs),
      ),
    );
  }

  echo(sample: number, timeoutMs: number) {
    const of = this.generators.length;
    return Promise.all(
      this.generators.map((generator, index) =>
        generator.ask(
          { type: 'echo', sample: shareOf(sample, index, of), timeoutMs },
          'echoed',
          timeoutMs + 30_000,
        ),
      ),
    );
  }

  deliveries() {
    return Promise.all(
      this.generators.map((generator) => generator.ask({ type: 'deliveries' }, 'deliveries', 60_000)),
    );
  }

  drop() {
    return Promise.all(
      this.generators.map((generator) => generator.ask({ type: 'drop' }, 'dropped', 120_000)),
    );
  }

  /** The generators' own CPU time so far (µs), from /proc: they share the generator core. */
  pids(): number[] {
    return this.generators.map((generator) => generator.child.pid as number);
  }

  async stop(): Promise<void> {
    await Promise.all(this.generators.map((generator) => stopTracked(generator.child, 5_000)));
  }
}
