// Hub fan-out micro-benchmark: the single-process hub (MemoryBroker) against plain broadcast(), one
// 128-byte message to 2,000 in-memory server connections, and what history costs per publication.
//
//   node .build/bench/micro/hub-fanout.js [--quick]
//
// The transports accept every write and only count bytes, so this measures the library's cost per
// delivery, not the kernel's. Ways, alternated round by round in one run:
//   broadcast     broadcast(connections, prepareMessage(payload)): the floor the hub builds on
//   hub           hub.publish(topic, payload) with no history: offset, epoch, gap check, broadcast
//   hub-h100      the same with historySize 100 (each publication appended, the oldest trimmed)
//   hub-h10000    the same with historySize 10,000
// Figures are noisy on a shared machine: compare ratios within one run.
import { performance } from 'node:perf_hooks';
import { broadcast } from '../../src/connection/broadcast.js';
import { Connection } from '../../src/connection/connection.js';
import { prepareMessage } from '../../src/connection/prepared-message.js';
import type { Transport, TransportHandler } from '../../src/connection/transport.js';
import { createHub, type Hub } from '../../src/hub/hub.js';

class CountingTransport implements Transport {
  bytes = 0;
  readonly writableLength = 0;
  readonly remoteAddress = undefined;
  readonly remotePort = undefined;
  setHandler(_handler: TransportHandler): void {}
  write(chunks: Buffer[]): boolean {
    for (const chunk of chunks) this.bytes += chunk.length;
    return true;
  }
  pause(): void {}
  resume(): void {}
  end(): void {}
  destroy(): void {}
}

type Way = 'broadcast' | 'hub' | 'hub-h100' | 'hub-h10000';

const quick = process.argv.includes('--quick');
const SUBSCRIBERS = 2000;
const MESSAGES_PER_TURN = 8;
const TURNS = quick ? 20 : 200;
const ROUNDS = quick ? 3 : 7;
const payload = Buffer.alloc(128, 0x61);

interface Setup {
  transports: CountingTransport[];
  connections: Connection[];
  hub: Hub | undefined;
}

async function setup(way: Way): Promise<Setup> {
  const transports = Array.from({ length: SUBSCRIBERS }, () => new CountingTransport());
  const connections = transports.map((transport) => new Connection(transport, { role: 'server' }));
  if (way === 'broadcast') return { transports, connections, hub: undefined };
  const historySize = way === 'hub' ? 0 : way === 'hub-h100' ? 100 : 10_000;
  const hub = createHub({ topic: { historySize, historyTtlMs: 600_000 }, pingInterval: 0 });
  for (const connection of connections) await hub.subscribe(connection, 'bench');
  return { transports, connections, hub };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function round(way: Way, state: Setup): Promise<number> {
  const first = state.transports[0] as CountingTransport;
  const before = first.bytes;
  const start = performance.now();
  for (let index = 0; index < TURNS; index++) {
    for (let message = 0; message < MESSAGES_PER_TURN; message++) {
      if (state.hub) void state.hub.publish('bench', payload);
      else broadcast(state.connections, prepareMessage(payload), { backpressure: 'drop-newest' });
    }
    await nextTurn();
  }
  const seconds = (performance.now() - start) / 1000;
  const written = first.bytes - before;
  if (written !== TURNS * MESSAGES_PER_TURN * 132) throw new Error(`${way}: ${written} bytes written`);
  return (TURNS * MESSAGES_PER_TURN * SUBSCRIBERS) / seconds;
}

const ways: Way[] = ['broadcast', 'hub', 'hub-h100', 'hub-h10000'];
const states = new Map<Way, Setup>();
for (const way of ways) states.set(way, await setup(way));
const results = new Map<Way, number[]>(ways.map((way) => [way, []]));
for (const way of ways) await round(way, states.get(way) as Setup); // warm-up (history fills)
for (let index = 0; index < ROUNDS; index++) {
  const order = index % 2 === 0 ? ways : [...ways].reverse();
  for (const way of order) results.get(way)?.push(await round(way, states.get(way) as Setup));
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const base = median(results.get('broadcast') ?? []);
const publications = TURNS * MESSAGES_PER_TURN;
console.log(
  `hub fan-out: ${SUBSCRIBERS} in-memory server connections, 128 B binary, ${MESSAGES_PER_TURN} publications per turn, ` +
    `${ROUNDS} rounds of ${TURNS} turns, Node ${process.version} (noisy: shared machine)`,
);
console.log('| way | median deliveries/s | min | max | vs broadcast | µs per publication |');
console.log('|---|---|---|---|---|---|');
for (const way of ways) {
  const values = results.get(way) ?? [];
  const m = median(values);
  const microsPerPublication = ((publications * SUBSCRIBERS) / m / publications) * 1e6;
  const row = [
    way,
    Math.round(m).toLocaleString('en'),
    Math.round(Math.min(...values)).toLocaleString('en'),
    Math.round(Math.max(...values)).toLocaleString('en'),
    `${(m / base).toFixed(2)}x`,
    microsPerPublication.toFixed(1),
  ];
  console.log(`| ${row.join(' | ')} |`);
}
for (const state of states.values()) {
  for (const connection of state.connections) connection.terminate();
  await state.hub?.close();
}

// What one publication costs the hub and its in-process broker alone (no subscriber): offset, epoch,
// history append and trim. This is the per-message cost of history, apart from fan-out.
const PUBLICATIONS = quick ? 50_000 : 500_000;
console.log(`\nhub publish alone: ${PUBLICATIONS.toLocaleString('en')} publications of 128 B, no subscriber`);
console.log('| historySize | ns per publication |');
console.log('|---|---|');
for (const historySize of [0, 100, 10_000]) {
  const hub = createHub({ topic: { historySize, historyTtlMs: 600_000 }, pingInterval: 0 });
  for (let i = 0; i < 10_000; i++) void hub.publish('alone', payload); // warm-up, fills history
  const samples: number[] = [];
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    for (let i = 0; i < PUBLICATIONS; i++) void hub.publish('alone', payload);
    samples.push(((performance.now() - start) * 1e6) / PUBLICATIONS);
    await nextTurn();
  }
  console.log(`| ${historySize.toLocaleString('en')} | ${median(samples).toFixed(0)} |`);
  await hub.close();
}
