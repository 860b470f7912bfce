// One hub benchmark run against one target: two server processes on one Redis, `subscribers` split
// evenly over them, one publisher on the first, 128 B messages. Phase 1 measures deliveries/s with
// the publisher kept at most WINDOW messages ahead of the slowest probe subscriber (one per process);
// phase 2 publishes at a fixed rate and measures publish-to-delivery latency at every subscriber.
// Bounded in count and time; every process and socket it opens, it closes.
import { ServerProcess } from '../load/server-process.js';
import type { HubTarget } from './hub-targets.js';

export interface HubLoadOptions {
  readonly subscribers: number;
  readonly throughputSeconds: number;
  readonly latencyRate: number;
  readonly latencySeconds: number;
}

export interface HubLoadResult {
  readonly target: string;
  readonly deliveriesPerSecond: number;
  readonly messagesPerSecond: number;
  readonly latency: { p50Ms: number; p99Ms: number; maxMs: number; samples: number; missing: number };
}

const MESSAGE_BYTES = 128;
const WINDOW = 32;
const OPEN_CONCURRENCY = 50;

function payload(): string {
  const stamp = String(Math.round(performance.now() * 1000));
  return stamp + 'x'.repeat(MESSAGE_BYTES - stamp.length);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] as number;
}

export async function runHubLoad(
  target: HubTarget,
  redisUrl: string,
  options: HubLoadOptions,
): Promise<HubLoadResult> {
  const servers: ServerProcess[] = [];
  const closers: Array<() => void> = [];
  try {
    for (let index = 0; index < 2; index++) servers.push(await ServerProcess.start(target.launch(redisUrl)));
    const urls = servers.map((server) => `ws://127.0.0.1:${server.port}/`);

    let delivered = 0;
    const probes = [0, 0];
    let recording: Float64Array | undefined;
    let recorded = 0;
    let pump = (): void => {};
    const onDelivery = (sentAtUs: number): void => {
      delivered++;
      if (recording !== undefined && recorded < recording.length && sentAtUs >= 0) {
        recording[recorded++] = performance.now() * 1000 - sentAtUs;
      }
    };
    // Subscribers, half on each process; the first of each also counts as that process's probe.
    for (let start = 0; start < options.subscribers; start += OPEN_CONCURRENCY) {
      const batch: Promise<() => void>[] = [];
      for (let index = start; index < Math.min(options.subscribers, start + OPEN_CONCURRENCY); index++) {
        const side = index % 2;
        const isProbe = index < 2;
        const handler = isProbe
          ? (sentAtUs: number) => {
              probes[side] = (probes[side] as number) + 1;
              onDelivery(sentAtUs);
              pump();
            }
          : onDelivery;
        batch.push(target.subscribe(urls[side] as string, handler));
      }
      closers.push(...(await Promise.all(batch)));
    }
    const publisher = await target.publisher(urls[0] as string);
    closers.push(() => publisher.close());

    // Phase 1: as fast as the slowest probe keeps up, WINDOW messages in flight at most.
    let published = 0;
    let running = true;
    pump = () => {
      while (running && published - Math.min(probes[0] as number, probes[1] as number) < WINDOW) {
        publisher.publish(payload());
        published++;
      }
    };
    pump();
    await sleep(1000); // warm-up
    const startDelivered = delivered;
    const startPublished = published;
    const startedAt = performance.now();
    await sleep(options.throughputSeconds * 1000);
    const seconds = (performance.now() - startedAt) / 1000;
    const deliveriesPerSecond = (delivered - startDelivered) / seconds;
    const messagesPerSecond = (published - startPublished) / seconds;
    running = false;
    await settle(() => delivered);

    // Phase 2: a fixed rate; every delivery's latency is recorded.
    const messages = Math.round(options.latencyRate * options.latencySeconds);
    const expected = messages * options.subscribers;
    recording = new Float64Array(expected);
    const before = delivered;
    const phaseStart = performance.now();
    for (let sent = 0; sent < messages; sent++) {
      const wait = phaseStart + (sent / options.latencyRate) * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      publisher.publish(payload());
    }
    await settle(() => delivered, 5000);
    const latencies = recording.slice(0, recorded).sort();
    return {
      target: target.name,
      deliveriesPerSecond,
      messagesPerSecond,
      latency: {
        p50Ms: percentile(latencies, 0.5) / 1000,
        p99Ms: percentile(latencies, 0.99) / 1000,
        maxMs: (latencies.at(-1) ?? Number.NaN) / 1000,
        samples: recorded,
        missing: expected - (delivered - before),
      },
    };
  } finally {
    for (const close of closers) {
      try {
        close();
      } catch {
        // Already closed.
      }
    }
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** Waits until `count` stops growing for 300 ms (at most `limitMs`). */
async function settle(count: () => number, limitMs = 10_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  let last = -1;
  while (performance.now() < deadline) {
    const now = count();
    if (now === last) return;
    last = now;
    await sleep(300);
  }
}
