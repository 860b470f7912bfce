// Redis's own pub/sub throughput on this machine, as the hub uses it: `subscribers` connections
// (one per server worker) SUBSCRIBEd to one channel, one publisher pipelining PUBLISH with at most
// `window` publications not yet seen by every subscriber. Reports publications/s, deliveries/s
// (publications x subscribers) and redis-server's CPU per publication. Run alone:
//   node .build/bench/scale/redis-throughput.js [--subscribers 16] [--seconds 5] [--bytes 64]
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { killTrackedOnExit } from './child-processes.js';
import { RedisProcess } from './redis-process.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
    bytes: { type: 'string', default: '64' },
    window: { type: 'string', default: '256' },
  },
});

const channel = 'fullduplex:{scale}';

function command(...parts: string[]): Buffer {
  return Buffer.from(
    `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`,
  );
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

/** Counts occurrences of `needle` across chunks (a pattern split over two chunks is still counted). */
class Counter {
  count = 0;
  private tail = '';
  constructor(private readonly needle: string) {}
  feed(chunk: Buffer): void {
    const text = this.tail + chunk.toString('latin1');
    let at = text.indexOf(this.needle);
    while (at !== -1) {
      this.count++;
      at = text.indexOf(this.needle, at + this.needle.length);
    }
    this.tail = text.slice(-(this.needle.length - 1));
  }
}

async function main(): Promise<void> {
  killTrackedOnExit();
  const subscriberCount = Number(values.subscribers);
  const seconds = Number(values.seconds);
  const window = Number(values.window);
  const payload = 'x'.repeat(Number(values.bytes));
  const redis = await RedisProcess.start(Date.now() + (seconds + 60) * 1000);
  const sockets: Socket[] = [];
  try {
    const counters: Counter[] = [];
    for (let index = 0; index < subscriberCount; index++) {
      const socket = await open(redis.port);
      const counter = new Counter(`$${payload.length}\r\n${payload}\r\n`);
      socket.on('data', (chunk: Buffer) => counter.feed(chunk));
      socket.write(command('SUBSCRIBE', channel));
      sockets.push(socket);
      counters.push(counter);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const publisher = await open(redis.port);
    sockets.push(publisher);
    publisher.on('data', () => {});
    const frame = command('PUBLISH', channel, payload);
    let published = 0;
    const slowest = (): number => Math.min(...counters.map((counter) => counter.count));
    let running = true;
    const pump = (): void => {
      const batch: Buffer[] = [];
      while (running && published - slowest() < window) {
        batch.push(frame);
        published++;
      }
      if (batch.length > 0) publisher.write(Buffer.concat(batch));
    };
    for (const socket of sockets.slice(0, 1)) socket.on('data', pump);
    const cpuBefore = redis.cpuMicros();
    const started = performance.now();
    pump();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    running = false;
    const elapsed = (performance.now() - started) / 1000;
    const delivered = counters.reduce((total, counter) => total + counter.count, 0);
    const cpu = redis.cpuMicros() - cpuBefore;
    const publications = delivered / subscriberCount;
    console.log(
      JSON.stringify({
        subscribers: subscriberCount,
        payloadBytes: payload.length,
        seconds: elapsed,
        publicationsPerSecond: publications / elapsed,
        deliveriesPerSecond: delivered / elapsed,
        redisCpuPercent: (cpu / 1e6 / elapsed) * 100,
        redisCpuMicrosPerPublication: cpu / publications,
      }),
    );
  } finally {
    for (const socket of sockets) socket.destroy();
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
