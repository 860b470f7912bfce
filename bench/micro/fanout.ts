// Fan-out micro-benchmark: one 128-byte message to 2,000 in-memory server connections, per round.
//
//   node .build/bench/micro/fanout.js [--quick]
//
// The transports accept every write and only count bytes, so this measures the library's own cost
// per delivery (framing, queueing, the per-connection flush), not the kernel's. Three ways, same run,
// alternated round by round:
//   send-loop  the CLI's Relay before prepared messages: a bufferedAmount check and send() each
//   prepared  broadcast() of a prepareMessage(): the same frame Buffer queued by every connection
//   raw-data  broadcast() of the raw data (prepares it once per call)
// Figures are noisy on a shared machine: compare ratios within one run.
import { performance } from 'node:perf_hooks';
import { broadcast } from '../../src/connection/broadcast.js';
import { Connection } from '../../src/connection/connection.js';
import { prepareMessage } from '../../src/connection/prepared-message.js';
import type { Transport, TransportHandler } from '../../src/connection/transport.js';

class CountingTransport implements Transport {
  bytes = 0;
  writes = 0;
  readonly writableLength = 0;
  readonly remoteAddress = undefined;
  readonly remotePort = undefined;
  setHandler(_handler: TransportHandler): void {}
  write(chunks: Buffer[]): boolean {
    this.writes++;
    for (const chunk of chunks) this.bytes += chunk.length;
    return true;
  }
  pause(): void {}
  resume(): void {}
  end(): void {}
  destroy(): void {}
}

type Way = 'send-loop' | 'prepared' | 'raw-data';

const quick = process.argv.includes('--quick');
const SUBSCRIBERS = 2000;
const MESSAGES_PER_TURN = 8; // a publisher's burst; each connection flushes once per turn
const TURNS = quick ? 20 : 200;
const ROUNDS = quick ? 3 : 7;

const transports = Array.from({ length: SUBSCRIBERS }, () => new CountingTransport());
const connections = transports.map((transport) => new Connection(transport, { role: 'server' }));
const payload = Buffer.alloc(128, 0x61);

function turn(way: Way): void {
  for (let message = 0; message < MESSAGES_PER_TURN; message++) {
    if (way === 'send-loop') {
      for (const connection of connections) {
        if (connection.bufferedAmount > connection.maxBufferedBytes) continue;
        connection.send(payload, { binary: true });
      }
    } else if (way === 'prepared') {
      broadcast(connections, prepareMessage(payload), { backpressure: 'drop-newest' });
    } else {
      broadcast(connections, payload, { backpressure: 'drop-newest' });
    }
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Deliveries per second for one round of TURNS turns (flushes included). */
async function round(way: Way): Promise<number> {
  const before = transports[0]?.bytes ?? 0;
  const start = performance.now();
  for (let index = 0; index < TURNS; index++) {
    turn(way);
    await nextTurn();
  }
  const seconds = (performance.now() - start) / 1000;
  const written = (transports[0]?.bytes ?? 0) - before;
  // 132 bytes a frame: a 4-byte header (16-bit length) and the payload.
  if (written !== TURNS * MESSAGES_PER_TURN * 132) throw new Error(`${way}: ${written} bytes written`);
  return (TURNS * MESSAGES_PER_TURN * SUBSCRIBERS) / seconds;
}

const ways: Way[] = ['send-loop', 'prepared', 'raw-data'];
const results = new Map<Way, number[]>(ways.map((way) => [way, []]));
for (const way of ways) await round(way); // warm-up
for (let index = 0; index < ROUNDS; index++) {
  // Alternate the order so drift does not favour one way.
  const order = index % 2 === 0 ? ways : [...ways].reverse();
  for (const way of order) results.get(way)?.push(await round(way));
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const base = median(results.get('send-loop') ?? []);
console.log(
  `fan-out: ${SUBSCRIBERS} in-memory server connections, 128 B binary, ${MESSAGES_PER_TURN} messages per turn, ` +
    `${ROUNDS} rounds of ${TURNS} turns, Node ${process.version} (noisy: shared machine)`,
);
console.log('| way | median deliveries/s | min | max | vs send-loop |');
console.log('|---|---|---|---|---|');
for (const way of ways) {
  const values = results.get(way) ?? [];
  const row = [
    way,
    Math.round(median(values)).toLocaleString('en'),
    Math.round(Math.min(...values)).toLocaleString('en'),
    Math.round(Math.max(...values)).toLocaleString('en'),
    `${(median(values) / base).toFixed(2)}x`,
  ];
  console.log(`| ${row.join(' | ')} |`);
}
for (const connection of connections) connection.terminate();
