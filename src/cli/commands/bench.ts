import { benchJson, benchSucceeded, benchText } from '../bench/bench-report.js';
import { runEchoLoad } from '../bench/echo-load.js';
import { createLatencyHistogram, type LatencyHistogram } from '../bench/latency-histogram.js';
import { ProgressLine } from '../bench/progress-line.js';
import { runPubSubLoad } from '../bench/pubsub-load.js';
import { pubSubJson, pubSubSucceeded, pubSubText } from '../bench/pubsub-report.js';
import type { Command } from '../command.js';
import { type FlagTable, integerFlag, type ParsedFlags, UsageError } from '../flags.js';

const benchFlags = {
  mode: {
    type: 'string',
    choices: ['echo', 'pubsub'],
    default: 'echo',
    help: 'echo: round trips to an echo server; pubsub: publishers and subscribers on one topic URL',
  },
  connections: {
    type: 'integer',
    placeholder: 'N',
    default: 10,
    min: 1,
    max: 10_000,
    help: 'connections to open (pubsub: subscribers)',
  },
  publishers: {
    type: 'integer',
    placeholder: 'N',
    default: 1,
    min: 1,
    max: 1000,
    help: 'pubsub: connections that publish',
  },
  rate: {
    type: 'integer',
    placeholder: 'N',
    default: 1000,
    min: 1,
    max: 100_000,
    help: 'pubsub: messages per second per publisher',
  },
  'in-flight': {
    type: 'integer',
    placeholder: 'N',
    default: 8,
    min: 1,
    max: 1024,
    help: 'echo: messages in flight per connection',
  },
  size: {
    type: 'integer',
    placeholder: 'BYTES',
    default: 64,
    max: 256 * 1024 * 1024,
    help: 'payload size of each message',
  },
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
  json: { type: 'boolean', default: false, help: 'print the report as JSON on stdout, no progress line' },
} as const satisfies FlagTable;

/** `fullduplex bench URL`: a closed-loop echo load; exits 0 only when every reply checked out. */
export const benchCommand: Command = {
  usage: `Usage: fullduplex bench [options] URL

--mode echo (the default) loads an echo server at URL (such as 'fullduplex serve'): each connection
keeps --in-flight messages outstanding and sends the next when a reply arrives. Every reply is checked
against the message it answers; only verified round trips are timed.

--mode pubsub loads a topic URL where every message sent reaches every connection (a hub's
/topics/NAME, or 'fullduplex serve --mode broadcast'): --publishers send --rate messages/s each,
--connections subscribers check that every publication arrives intact and in order, and the fan-out
latency is timed from publish to delivery.

Prints throughput and latency percentiles (p50, p90, p99, p99.9, max), and connections closed during
the run with their codes. Stops after --duration. Exits 1 when a reply differs or goes missing, a
connection closes early, or nothing came back.`,
  flags: benchFlags,
  positionals: 1,
  run: bench,
};

async function bench(flags: ParsedFlags, positionals: readonly string[]): Promise<number> {
  const url = positionals[0];
  if (!url) throw new UsageError('bench needs the URL of an echo server, e.g. ws://127.0.0.1:8080/');
  const setup = {
    url,
    connections: integerFlag(flags, 'connections'),
    inFlight: integerFlag(flags, 'in-flight'),
    size: integerFlag(flags, 'size'),
    binary: flags.binary === true,
    compress: flags.compress === true,
  };
  const seconds = integerFlag(flags, 'duration');
  const json = flags.json === true;
  const histogram = await createLatencyHistogram();
  const progress = !json && process.stderr.isTTY ? new ProgressLine(process.stderr, seconds) : undefined;
  if (flags.mode === 'pubsub') return pubSub(setup, seconds, json, histogram, progress, flags);
  const result = await runEchoLoad(
    { ...setup, seconds, ...(progress ? { onTick: (state) => progress.update(state) } : {}) },
    histogram,
  ).finally(() => progress?.clear());
  if (json) {
    console.log(benchJson(setup, result, histogram));
  } else {
    const { report, problems } = benchText(setup, result, histogram);
    console.log(report);
    for (const problem of problems) console.error(`fullduplex: ${problem}`);
  }
  return benchSucceeded(result) ? 0 : 1;
}

async function pubSub(
  base: { url: string; connections: number; size: number; compress: boolean },
  seconds: number,
  json: boolean,
  histogram: LatencyHistogram,
  progress: ProgressLine | undefined,
  flags: ParsedFlags,
): Promise<number> {
  const setup = {
    url: base.url,
    subscribers: base.connections,
    publishers: integerFlag(flags, 'publishers'),
    rate: integerFlag(flags, 'rate'),
    size: base.size,
    compress: base.compress,
  };
  const result = await runPubSubLoad(
    { ...setup, seconds, ...(progress ? { onTick: (state) => progress.update(state) } : {}) },
    histogram,
  ).finally(() => progress?.clear());
  if (json) {
    console.log(pubSubJson(setup, result, histogram));
  } else {
    const { report, problems } = pubSubText(setup, result, histogram);
    console.log(report);
    for (const problem of problems) console.error(`fullduplex: ${problem}`);
  }
  return pubSubSucceeded(result) ? 0 : 1;
}
