import { performance } from 'node:perf_hooks';
import { connect } from '../../client/connect.js';
import type { Connection } from '../../connection/connection.js';
import type { Command } from '../command.js';
import { type FlagTable, integerFlag, type ParsedFlags, UsageError } from '../flags.js';

const benchFlags = {
  connections: {
    type: 'integer',
    placeholder: 'N',
    default: 10,
    min: 1,
    max: 10_000,
    help: 'connections to open',
  },
  'in-flight': {
    type: 'integer',
    placeholder: 'N',
    default: 8,
    min: 1,
    max: 1024,
    help: 'messages in flight per connection',
  },
  size: { type: 'integer', placeholder: 'BYTES', default: 64, help: 'payload size of each message' },
  duration: {
    type: 'integer',
    placeholder: 'SECONDS',
    default: 5,
    min: 1,
    max: 600,
    help: 'how long to measure',
  },
  binary: { type: 'boolean', default: false, help: 'send binary messages (default: text)' },
  compress: { type: 'boolean', default: false, help: 'offer permessage-deflate' },
} as const satisfies FlagTable;

/** `fullduplex bench URL`: a closed-loop echo load with an HDR histogram of round trips. */
export const benchCommand: Command = {
  usage: `Usage: fullduplex bench [options] URL

Loads an echo server at URL: each connection keeps --in-flight messages outstanding, and every reply
is timed. Prints messages/s, MiB/s and round-trip percentiles. Stops by itself after --duration.`,
  flags: benchFlags,
  positionals: 1,
  run: bench,
};

interface Histogram {
  recordValue(value: number): void;
  getValueAtPercentile(percentile: number): number;
  readonly totalCount: number;
  readonly maxValue: number;
}

async function bench(flags: ParsedFlags, positionals: readonly string[]): Promise<number> {
  const url = positionals[0];
  if (!url) throw new UsageError('bench needs the URL of an echo server, e.g. ws://127.0.0.1:8080/');
  const connections = integerFlag(flags, 'connections');
  const inFlight = integerFlag(flags, 'in-flight');
  const size = integerFlag(flags, 'size');
  const seconds = integerFlag(flags, 'duration');
  const histogram = await createHistogram();

  const payload = flags.binary ? Buffer.alloc(size, 0x61) : 'a'.repeat(size);
  const opened: Connection[] = [];
  try {
    for (let index = 0; index < connections; index++) {
      opened.push(await connect(url, { perMessageDeflate: flags.compress === true }));
    }
    let running = true;
    let completed = 0;
    for (const connection of opened) {
      // Echo replies come back in order, so the send times form a FIFO per connection.
      const sentAt: number[] = [];
      let head = 0;
      const sendOne = (): void => {
        sentAt.push(performance.now());
        connection.send(payload);
      };
      connection.onRawMessage(() => {
        const started = sentAt[head++] as number;
        histogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
        completed++;
        if (head > 4096) {
          sentAt.splice(0, head);
          head = 0;
        }
        if (running && connection.readyState === 'open') sendOne();
      });
      for (let index = 0; index < inFlight; index++) sendOne();
    }
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    running = false;
    const elapsed = (performance.now() - started) / 1000;
    const microseconds = (percentile: number): string =>
      `${(histogram.getValueAtPercentile(percentile) / 1000).toFixed(3)} ms`;
    console.log(
      `connections ${connections}, in flight ${inFlight}, ${size} B ${flags.binary ? 'binary' : 'text'}`,
    );
    console.log(`messages/s ${Math.round(completed / elapsed)}`);
    console.log(`MiB/s      ${((completed * size) / elapsed / 1024 / 1024).toFixed(1)}`);
    console.log(`round trip p50 ${microseconds(50)}, p99 ${microseconds(99)}, p99.9 ${microseconds(99.9)}`);
    return completed > 0 ? 0 : 1;
  } finally {
    await Promise.all(opened.map((connection) => connection.close(1000).catch(() => undefined)));
  }
}

async function createHistogram(): Promise<Histogram> {
  try {
    const hdr = await import('hdr-histogram-js');
    return hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 600_000_000,
      numberOfSignificantValueDigits: 3,
    });
  } catch (error) {
    throw new UsageError(
      `bench needs the optional dependency hdr-histogram-js (npm install hdr-histogram-js): ${(error as Error).message}`,
    );
  }
}
