import { performance } from 'node:perf_hooks';
import { connect } from '../../client/connect.js';
import type { Connection } from '../../connection/connection.js';
import type { CloseCount } from './echo-load.js';
import type { LatencyHistogram } from './latency-histogram.js';

export interface PubSubLoadOptions {
  readonly url: string;
  readonly subscribers: number;
  readonly publishers: number;
  /** Messages per second per publisher. */
  readonly rate: number;
  readonly size: number;
  readonly compress: boolean;
  readonly seconds: number;
  readonly onTick?: (progress: { elapsedSeconds: number; verified: number; open: number }) => void;
}

export interface PubSubResult {
  readonly elapsedSeconds: number;
  readonly published: number;
  /** Deliveries that arrived intact and in order. */
  readonly delivered: number;
  /** Deliveries every subscriber should have had: published × subscribers. */
  readonly expected: number;
  /** Publications a subscriber never got (a gap in a publisher's sequence, or missing at the end). */
  readonly lost: number;
  /** Deliveries that came before one already seen from the same publisher, or twice. */
  readonly outOfOrder: number;
  /** Deliveries whose bytes are not what was published. */
  readonly corrupt: number;
  /** Times a publisher waited because its connection's outgoing buffer was full. */
  readonly publisherStalls: number;
  readonly closes: readonly CloseCount[];
}

/** How long subscribers get after the last publication to receive what is still on its way. */
const DRAIN_MS = 2000;

/**
 * Publish/subscribe load for a topic URL where every message sent is delivered to every connection
 * (the hub's `/topics/NAME`, or `serve --mode broadcast`). Subscribers only listen; publishers send
 * at a fixed rate, open loop. Each publication carries its publisher, sequence number and send time,
 * so every subscriber checks that it got each publisher's messages intact, in order, with none
 * missing, and the fan-out latency is measured from send to delivery (one process, one clock).
 */
export async function runPubSubLoad(
  options: PubSubLoadOptions,
  histogram: LatencyHistogram,
): Promise<PubSubResult> {
  const subscribers: Connection[] = [];
  const publishers: Connection[] = [];
  try {
    for (let index = 0; index < options.subscribers; index++) {
      subscribers.push(await connect(options.url, { perMessageDeflate: options.compress }));
    }
    for (let index = 0; index < options.publishers; index++) {
      publishers.push(await connect(options.url, { perMessageDeflate: options.compress }));
    }
    return await measure(subscribers, publishers, options, histogram);
  } finally {
    await Promise.all(
      [...subscribers, ...publishers].map((connection) => connection.close(1000).catch(() => undefined)),
    );
  }
}

async function measure(
  subscribers: readonly Connection[],
  publishers: readonly Connection[],
  options: PubSubLoadOptions,
  histogram: LatencyHistogram,
): Promise<PubSubResult> {
  let running = true;
  let delivered = 0;
  let lost = 0;
  let outOfOrder = 0;
  let corrupt = 0;
  let stalls = 0;
  let open = subscribers.length + publishers.length;
  const closes: CloseCount[] = [];
  const sent = new Array<number>(publishers.length).fill(0);
  const next = subscribers.map(() => new Array<number>(publishers.length).fill(0));
  const started = performance.now();

  for (const connection of [...subscribers, ...publishers]) {
    connection.closed.then((info) => {
      open--;
      if (!running) return;
      const same = closes.find((entry) => entry.code === info.code && entry.reason === info.reason);
      if (same) same.count++;
      else closes.push({ code: info.code, reason: info.reason, count: 1 });
    });
  }
  subscribers.forEach((connection, subscriber) => {
    const expectedNext = next[subscriber] as number[];
    connection.onRawMessage((data) => {
      const now = performance.now();
      const header = parseHeader(data, options.size);
      if (header === undefined || header.publisher >= publishers.length) {
        corrupt++;
        return;
      }
      const wanted = expectedNext[header.publisher] as number;
      if (header.sequence < wanted) {
        outOfOrder++;
        return;
      }
      lost += header.sequence - wanted;
      expectedNext[header.publisher] = header.sequence + 1;
      delivered++;
      histogram.record(now - header.sentAt);
    });
  });
  // Publishers get every publication too; they only drain them.
  for (const connection of publishers) connection.onRawMessage(() => undefined);

  // Open loop: every 10 ms each publisher sends what its rate owes since the start.
  const pacer = setInterval(() => {
    const owed = Math.floor(((performance.now() - started) / 1000) * options.rate);
    publishers.forEach((connection, publisher) => {
      while ((sent[publisher] as number) < owed && connection.readyState === 'open') {
        const sequence = sent[publisher] as number;
        sent[publisher] = sequence + 1;
        if (!connection.send(publication(publisher, sequence, options.size))) {
          stalls++;
          break;
        }
      }
    });
  }, 10);
  const ticker = options.onTick
    ? setInterval(
        () =>
          options.onTick?.({
            elapsedSeconds: (performance.now() - started) / 1000,
            verified: delivered,
            open,
          }),
        1000,
      )
    : undefined;
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  clearInterval(pacer);
  const elapsedSeconds = (performance.now() - started) / 1000;
  const published = sent.reduce((sum, count) => sum + count, 0);
  // Let what is in flight arrive: until every subscriber has every publisher's last message.
  const drainUntil = performance.now() + DRAIN_MS;
  const caughtUp = (): boolean =>
    next.every((row) => row.every((value, publisher) => value >= (sent[publisher] as number)));
  while (!caughtUp() && performance.now() < drainUntil && open > 0) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  running = false;
  clearInterval(ticker);
  for (const row of next) {
    row.forEach((value, publisher) => {
      lost += Math.max(0, (sent[publisher] as number) - value);
    });
  }
  return {
    elapsedSeconds,
    published,
    delivered,
    expected: published * subscribers.length,
    lost,
    outOfOrder,
    corrupt,
    publisherStalls: stalls,
    closes,
  };
}

/** `P<publisher>:<sequence>:<send time in µs>:` then 'a' up to `size` bytes (text, ASCII). */
function publication(publisher: number, sequence: number, size: number): string {
  const header = `P${publisher}:${sequence}:${Math.round(performance.now() * 1000)}:`;
  return header.length >= size ? header : header + 'a'.repeat(size - header.length);
}

function parseHeader(
  data: Buffer,
  size: number,
): { publisher: number; sequence: number; sentAt: number } | undefined {
  const text = data.toString('latin1');
  const match = /^P(\d+):(\d+):(\d+):(a*)$/.exec(text);
  if (!match) return undefined;
  const headerLength = text.length - (match[4] as string).length;
  if (text.length !== Math.max(size, headerLength)) return undefined;
  return { publisher: Number(match[1]), sequence: Number(match[2]), sentAt: Number(match[3]) / 1000 };
}
