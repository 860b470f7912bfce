// Broadcast at scale: `serve --mode hub --workers N --redis URL` on a redis-server this run starts;
// the generator fleet subscribes `subscribers` plain clients spread over `topics` topics
// (/topics/NAME), and one hub-protocol publisher sends stamped messages at a fixed rate, round-robin
// over the topics. Per message: how many subscribers got it, the first arrival, and the last one
// (the time until it reached every subscriber of its topic).
import WebSocket from 'ws';
import type { GeneratorFleet } from './generator-fleet.js';
import type { RedisProcess } from './redis-process.js';
import { type MessageArrivals, sharedClockMs } from './scale-protocol.js';
import type { ServerTree } from './server-tree.js';
import { stampedMessage } from './stamped-message.js';

export interface BroadcastPhase {
  subscribers: number;
  topics: number;
  rates: number[];
  seconds: number;
  messageBytes: number;
}

export interface RateResult {
  rate: number;
  messages: number;
  expected: number;
  delivered: number;
  /** Messages that did not reach every subscriber of their topic. */
  incomplete: number;
  deliveriesPerSecond: number;
  completeMs: { p50: number; p99: number; max: number };
  firstMs: { p50: number };
  serverCpuMicrosPerDelivery: number;
  redisCpuPercent: number;
  /** redis-server's CPU per publication (the hub's publish script, then one message per subscribed process). */
  redisCpuMicrosPerPublication: number;
}

export interface BroadcastResult {
  subscribers: number;
  topics: number;
  workers: number;
  opened: number;
  openSeconds: number;
  serverRssMiB: number;
  rates: RateResult[];
  stoppedBy: string | null;
}

/** How long deliveries may trail the last publication before a message counts as not delivered. */
const drainMs = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function topicName(topics: number, sequence: number): string {
  return `scale${sequence % topics}`;
}

/** Subscribers on topic `topic` when connection i subscribes to i % topics. */
function subscribersOf(subscribers: number, topics: number, topic: number): number {
  return topic >= subscribers ? 0 : Math.floor((subscribers - topic - 1) / topics) + 1;
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] as number;
}

/** The publisher's connection; a loaded server may refuse a handshake (408, 503): three tries. */
async function openPublisher(port: number): Promise<WebSocket> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openPublisherOnce(port);
    } catch (error) {
      if (attempt === 3) throw error;
      await sleep(1000);
    }
  }
}

async function openPublisherOnce(port: number): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`, 'fullduplex.hub.v1', { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  // The hub's application-level pings want an answer; nothing else it sends matters here.
  socket.on('message', (data) => {
    if (String(data).includes('"op":"ping"')) socket.send('{"op":"pong"}');
  });
  return socket;
}

/** Every generator's arrivals so far, merged per message into `into`. */
async function collect(fleet: GeneratorFleet, into: Map<number, MessageArrivals>): Promise<void> {
  for (const answer of await fleet.deliveries()) {
    for (const arrival of answer.arrivals) {
      const known = into.get(arrival.sequence);
      if (known === undefined) into.set(arrival.sequence, { ...arrival });
      else {
        known.count += arrival.count;
        known.first = Math.min(known.first, arrival.first);
        known.last = Math.max(known.last, arrival.last);
      }
    }
  }
}

/** Polls until every message in [from, to) reached its topic's subscribers, or `timeoutMs` passes. */
async function awaitDeliveries(
  fleet: GeneratorFleet,
  arrivals: Map<number, MessageArrivals>,
  from: number,
  to: number,
  expectedOf: (sequence: number) => number,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await collect(fleet, arrivals);
    let complete = true;
    for (let sequence = from; sequence < to && complete; sequence++) {
      complete = (arrivals.get(sequence)?.count ?? 0) >= expectedOf(sequence);
    }
    if (complete || performance.now() > deadline) return;
    await sleep(500);
  }
}

export async function runBroadcastPhase(
  phase: BroadcastPhase,
  server: ServerTree,
  redis: RedisProcess,
  fleet: GeneratorFleet,
  workers: number,
  deadline: number,
  log: (line: string) => void,
): Promise<BroadcastResult> {
  const result: BroadcastResult = {
    subscribers: phase.subscribers,
    topics: phase.topics,
    workers,
    opened: 0,
    openSeconds: 0,
    serverRssMiB: 0,
    rates: [],
    stoppedBy: null,
  };
  await fleet.setup(server.port, phase.topics, 'scale');
  // Whatever happens, the next phase starts from no connections.
  try {
    const started = sharedClockMs();
    const grown = await fleet.grow(phase.subscribers, deadline - 120_000);
    result.openSeconds = (sharedClockMs() - started) / 1000;
    result.opened = grown.reduce((total, answer) => total + answer.grown.held, 0);
    const failures = grown.flatMap((answer) => Object.entries(answer.grown.failures));
    log(
      `  ${result.opened.toLocaleString('en-US')} subscribers on ${phase.topics} topic(s) in ${result.openSeconds.toFixed(1)} s`,
    );
    if (failures.length > 0 || result.opened < phase.subscribers) {
      result.stoppedBy = `subscribers failed to connect: ${JSON.stringify(Object.fromEntries(failures))}`;
      return result;
    }
    result.serverRssMiB = (await server.memory()).rss / (1024 * 1024);
    const publisher = await openPublisher(server.port);
    try {
      const expectedOf = (sequence: number): number =>
        subscribersOf(phase.subscribers, phase.topics, sequence % phase.topics);
      const arrivals = new Map<number, MessageArrivals>();
      // Warm-up: one message per topic must reach every subscriber (their subscriptions are in place).
      for (let sequence = 0; sequence < phase.topics; sequence++) {
        publisher.send(
          JSON.stringify({
            op: 'publish',
            topic: topicName(phase.topics, sequence),
            data: stampedMessage(sequence, sharedClockMs(), phase.messageBytes),
          }),
        );
      }
      await awaitDeliveries(fleet, arrivals, 0, phase.topics, expectedOf, 120_000);
      const warmed = [...Array(phase.topics).keys()].every(
        (sequence) => (arrivals.get(sequence)?.count ?? 0) === expectedOf(sequence),
      );
      if (!warmed) {
        const got = [...arrivals.values()].reduce((total, each) => total + each.count, 0);
        result.stoppedBy = `the warm-up messages reached ${got} of ${phase.subscribers} subscribers in 120 s`;
        return result;
      }
      let sequence = phase.topics;
      for (const rate of phase.rates) {
        if (Date.now() + phase.seconds * 1000 + drainMs > deadline) {
          result.stoppedBy = `time budget spent before ${rate} msg/s`;
          break;
        }
        const count = Math.max(1, Math.round(rate * phase.seconds));
        const from = sequence;
        const serverCpuBefore = server.cpuMicros();
        const redisCpuBefore = redis.cpuMicros();
        const phaseStart = sharedClockMs();
        for (let sent = 0; sent < count; sent++) {
          const due = phaseStart + (sent / rate) * 1000;
          const wait = due - sharedClockMs();
          if (wait > 1) await sleep(wait);
          publisher.send(
            JSON.stringify({
              op: 'publish',
              topic: topicName(phase.topics, sequence),
              data: stampedMessage(sequence, sharedClockMs(), phase.messageBytes),
            }),
          );
          sequence++;
        }
        await awaitDeliveries(fleet, arrivals, from, sequence, expectedOf, drainMs);
        const serverCpu = server.cpuMicros();
        const redisCpu = redis.cpuMicros();
        const completes: number[] = [];
        const firsts: number[] = [];
        let delivered = 0;
        let expected = 0;
        let incomplete = 0;
        let lastArrival = phaseStart;
        for (let each = from; each < sequence; each++) {
          const arrival = arrivals.get(each);
          expected += expectedOf(each);
          if (arrival === undefined) {
            incomplete++;
            continue;
          }
          delivered += arrival.count;
          firsts.push(arrival.first - arrival.sentAt);
          lastArrival = Math.max(lastArrival, arrival.last);
          if (arrival.count >= expectedOf(each)) completes.push(arrival.last - arrival.sentAt);
          else incomplete++;
        }
        completes.sort((a, b) => a - b);
        firsts.sort((a, b) => a - b);
        const spanSeconds = (lastArrival - phaseStart) / 1000;
        const rateResult: RateResult = {
          rate,
          messages: count,
          expected,
          delivered,
          incomplete,
          deliveriesPerSecond: delivered / spanSeconds,
          completeMs: {
            p50: percentile(completes, 0.5),
            p99: percentile(completes, 0.99),
            max: completes.at(-1) ?? Number.NaN,
          },
          firstMs: { p50: percentile(firsts, 0.5) },
          serverCpuMicrosPerDelivery:
            (serverCpu.primary + serverCpu.workers - serverCpuBefore.primary - serverCpuBefore.workers) /
            delivered,
          redisCpuPercent: ((redisCpu - redisCpuBefore) / 1e6 / spanSeconds) * 100,
          redisCpuMicrosPerPublication: (redisCpu - redisCpuBefore) / count,
        };
        result.rates.push(rateResult);
        log(
          `  ${rate} msg/s x ${count}: ${rateResult.deliveriesPerSecond.toFixed(0)} deliveries/s, every subscriber after p50 ${rateResult.completeMs.p50.toFixed(1)} ms, p99 ${rateResult.completeMs.p99.toFixed(1)} ms; ${delivered} of ${expected} delivered`,
        );
        if (incomplete > 0) {
          result.stoppedBy = `${incomplete} of ${count} messages at ${rate} msg/s did not reach every subscriber within ${drainMs / 1000} s of the last publication`;
          break;
        }
      }
    } finally {
      publisher.terminate();
    }
  } finally {
    await fleet.drop();
  }
  return result;
}
