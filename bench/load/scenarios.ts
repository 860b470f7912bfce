// The scenarios of issue 6, each in three sizes: `full` (the figures), `quick` (a minute or two
// for all of them) and `smoke` (a second each, for the test that keeps the suite from rotting).
import type { ServerMode } from '../servers/server-options.js';
import type { LoadJob, ReplyFraming } from './load-job.js';
import type { ServerName } from './server-catalog.js';

export type ScenarioName =
  | 'echo-small'
  | 'echo-16k'
  | 'echo-1m'
  | 'fan-out'
  | 'idle'
  | 'idle-max'
  | 'idle-multi'
  | 'idle-deflate'
  | 'deflate'
  | 'latency';

export type Profile = 'full' | 'quick' | 'smoke';

/** A figure a scenario reports: `key` into a run's metrics. */
export interface MetricSpec {
  key: string;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  digits: number;
}

export interface Scenario {
  name: ScenarioName;
  kind: LoadJob['kind'];
  description: string;
  mode: ServerMode;
  compress: boolean;
  /** Servers that take no part (the raw echo cannot negotiate compression). */
  excludes: readonly ServerName[];
  /** A server with no compressed mode (the raw echo) runs uncompressed, as the floor. */
  floorWithoutCompress?: boolean;
  /** The first metric is the headline. */
  metrics: readonly MetricSpec[];
  /** Server processes (and as many load generators), each with its share of the connections. */
  processes: number;
  /** In the default run (`idle-max` is asked for by name: it holds ~20,000 sockets per process). */
  byDefault: boolean;
  job(profile: Profile, target: { port: number; replyFraming: ReplyFraming }, verify: boolean): LoadJob;
}

interface Timing {
  warmupMs: number;
  measureMs: number;
}

const timings: Record<Profile, Timing> = {
  full: { warmupMs: 1000, measureMs: 3000 },
  quick: { warmupMs: 500, measureMs: 1500 },
  smoke: { warmupMs: 50, measureMs: 200 },
};

/** How long idle scenarios stay idle before their settled sample: past V8's memory reducer delay (8 s). */
const SETTLE_MS = 12_000;

const settledRss: MetricSpec = {
  key: 'rssSettledPerConnectionKiB',
  label: 'RSS KiB/conn settled (12 s idle)',
  unit: 'KiB',
  higherIsBetter: false,
  digits: 2,
};

function pick<T>(profile: Profile, full: T, quick: T, smoke: T): T {
  return profile === 'full' ? full : profile === 'quick' ? quick : smoke;
}

const messagesPerSecond: MetricSpec = {
  key: 'messagesPerSecond',
  label: 'msg/s',
  unit: 'msg/s',
  higherIsBetter: true,
  digits: 0,
};
const mebibytesPerSecond: MetricSpec = {
  key: 'mebibytesPerSecond',
  label: 'MiB/s',
  unit: 'MiB/s',
  higherIsBetter: true,
  digits: 0,
};
const serverRss: MetricSpec = {
  key: 'serverRssMiB',
  label: 'server RSS MiB',
  unit: 'MiB',
  higherIsBetter: false,
  digits: 1,
};

/** Where the time went: server CPU per message, and whether either side was the limit. */
const cpuMetrics: readonly MetricSpec[] = [
  {
    key: 'serverCpuMicrosPerMessage',
    label: 'server CPU µs/msg',
    unit: 'µs',
    higherIsBetter: false,
    digits: 2,
  },
  { key: 'serverCpuPercent', label: 'server CPU %', unit: '%', higherIsBetter: false, digits: 0 },
  { key: 'generatorCpuPercent', label: 'load gen CPU %', unit: '%', higherIsBetter: false, digits: 0 },
];

function echo(
  name: ScenarioName,
  description: string,
  sizes: Record<Profile, [number, number]>,
  payloadSize: number,
  headline: MetricSpec,
): Scenario {
  return {
    name,
    kind: 'echo',
    processes: 1,
    description,
    mode: 'echo',
    compress: false,
    excludes: [],
    metrics:
      headline === messagesPerSecond
        ? [messagesPerSecond, mebibytesPerSecond, ...cpuMetrics, serverRss]
        : [headline, messagesPerSecond, ...cpuMetrics, serverRss],
    byDefault: true,
    job: (profile, target, verify) => ({
      kind: 'echo',
      host: '127.0.0.1',
      port: target.port,
      replyFraming: target.replyFraming,
      ...timings[profile],
      verify,
      connections: sizes[profile][0],
      inFlight: sizes[profile][1],
      payloadSize,
    }),
  };
}

function idle(
  name: ScenarioName,
  counts: Record<Profile, number>,
  sources: number,
  processes: number,
  byDefault: boolean,
): Scenario {
  const across = processes > 1 ? ` across ${processes} server processes (one port each)` : '';
  return {
    name,
    kind: 'idle',
    processes,
    description: `${counts.full.toLocaleString('en-US')} idle connections (--quick: ${counts.quick.toLocaleString('en-US')})${across} from ${sources} loopback source address${sources > 1 ? 'es' : ''}: server memory per connection over its baseline, handshakes/s while opening`,
    mode: 'echo',
    compress: false,
    excludes: [],
    metrics: [
      { key: 'rssPerConnectionKiB', label: 'RSS KiB/conn', unit: 'KiB', higherIsBetter: false, digits: 2 },
      settledRss,
      { key: 'heapPerConnectionKiB', label: 'heap KiB/conn', unit: 'KiB', higherIsBetter: false, digits: 2 },
      {
        key: 'externalPerConnectionKiB',
        label: 'external KiB/conn',
        unit: 'KiB',
        higherIsBetter: false,
        digits: 2,
      },
      { key: 'handshakesPerSecond', label: 'handshakes/s', unit: '/s', higherIsBetter: true, digits: 0 },
    ],
    byDefault,
    job: (profile, target, verify) => ({
      kind: 'idle',
      host: '127.0.0.1',
      port: target.port,
      replyFraming: target.replyFraming,
      ...timings[profile],
      verify,
      connections: counts[profile],
      concurrency: 64,
      settleMs: pick(profile, SETTLE_MS, SETTLE_MS, 0),
      localAddresses: Array.from({ length: sources }, (_, index) => `127.0.0.${index + 1}`),
    }),
  };
}

export const scenarios: readonly Scenario[] = [
  echo(
    'echo-small',
    '64 B binary echo, 100 connections x 32 in flight',
    { full: [100, 32], quick: [100, 32], smoke: [4, 4] },
    64,
    messagesPerSecond,
  ),
  echo(
    'echo-16k',
    '16 KiB binary echo, 50 connections x 8 in flight',
    { full: [50, 8], quick: [50, 8], smoke: [2, 2] },
    16 * 1024,
    mebibytesPerSecond,
  ),
  echo(
    'echo-1m',
    '1 MiB binary echo, 10 connections x 2 in flight',
    { full: [10, 2], quick: [10, 2], smoke: [2, 1] },
    1024 * 1024,
    mebibytesPerSecond,
  ),
  {
    name: 'fan-out',
    kind: 'fan-out',
    processes: 1,
    description: '128 B binary from 1 publisher to 2,000 subscribers on a broadcast server; deliveries/s',
    mode: 'broadcast',
    compress: false,
    excludes: [],
    metrics: [
      { key: 'deliveriesPerSecond', label: 'deliveries/s', unit: '/s', higherIsBetter: true, digits: 0 },
      ...cpuMetrics,
      serverRss,
    ],
    byDefault: true,
    job: (profile, target, verify) => ({
      kind: 'fan-out',
      host: '127.0.0.1',
      port: target.port,
      replyFraming: target.replyFraming,
      ...timings[profile],
      verify,
      subscribers: pick(profile, 2000, 2000, 20),
      // 64 lets the raw ceiling forward ~32 messages per chunk; 16 measured the round trip more than
      // the server (raw fan-out rose about 4x from 16 to 64 in a trial run).
      window: pick(profile, 64, 64, 4),
      payloadSize: 128,
    }),
  },
  idle('idle', { full: 10_000, quick: 2_000, smoke: 50 }, 1, 1, true),
  // One process may hold up to the hard open-file limit (20,000 here); both ends need a descriptor each.
  idle('idle-max', { full: 19_500, quick: 19_500, smoke: 60 }, 4, 1, false),
  // Past one process's limit: two servers on two ports (Node 20 has no SO_REUSEPORT and the CLI no
  // cluster mode, so they do not share one), two load generators, four source addresses.
  idle('idle-multi', { full: 39_000, quick: 39_000, smoke: 60 }, 4, 2, false),
  {
    name: 'idle-deflate',
    kind: 'idle',
    processes: 1,
    description:
      '10,000 idle connections (--quick: 2,000) offering permessage-deflate as a browser does, servers with compression on (raw echo: none, the floor): server memory per connection over its baseline after the handshakes, and again after one 2 KiB compressed text message each way',
    mode: 'echo',
    compress: true,
    excludes: [],
    floorWithoutCompress: true,
    metrics: [
      {
        key: 'rssAfterMessageKiB',
        label: 'RSS KiB/conn after 1 msg',
        unit: 'KiB',
        higherIsBetter: false,
        digits: 2,
      },
      settledRss,
      {
        key: 'rssPerConnectionKiB',
        label: 'RSS KiB/conn negotiated',
        unit: 'KiB',
        higherIsBetter: false,
        digits: 2,
      },
      {
        key: 'heapAfterMessageKiB',
        label: 'heap KiB/conn after 1 msg',
        unit: 'KiB',
        higherIsBetter: false,
        digits: 2,
      },
      {
        key: 'heapPerConnectionKiB',
        label: 'heap KiB/conn negotiated',
        unit: 'KiB',
        higherIsBetter: false,
        digits: 2,
      },
      {
        key: 'externalAfterMessageKiB',
        label: 'external KiB/conn after 1 msg',
        unit: 'KiB',
        higherIsBetter: false,
        digits: 2,
      },
      { key: 'handshakesPerSecond', label: 'handshakes/s', unit: '/s', higherIsBetter: true, digits: 0 },
    ],
    byDefault: true,
    job: (profile, target, verify) => ({
      kind: 'idle',
      host: '127.0.0.1',
      port: target.port,
      replyFraming: target.replyFraming,
      ...timings[profile],
      verify,
      connections: pick(profile, 10_000, 2_000, 20),
      concurrency: 64,
      settleMs: pick(profile, SETTLE_MS, SETTLE_MS, 0),
      localAddresses: ['127.0.0.1'],
      deflate: true,
      // Over the 1 KiB threshold of ws and fullduplex, so both compress the echo.
      exchangeSize: 2048,
    }),
  },
  {
    name: 'deflate',
    kind: 'deflate',
    processes: 1,
    description: '4 KiB JSON-like text echo with permessage-deflate, 50 connections x 4 in flight',
    mode: 'echo',
    compress: true,
    excludes: [],
    floorWithoutCompress: true,
    metrics: [
      messagesPerSecond,
      serverRss,
      { key: 'serverStartRssMiB', label: 'RSS at start MiB', unit: 'MiB', higherIsBetter: false, digits: 1 },
      { key: 'serverPeakRssMiB', label: 'peak RSS MiB', unit: 'MiB', higherIsBetter: false, digits: 1 },
      ...cpuMetrics,
    ],
    byDefault: true,
    job: (profile, target, verify) => ({
      kind: 'deflate',
      host: '127.0.0.1',
      port: target.port,
      replyFraming: target.replyFraming,
      ...timings[profile],
      verify,
      connections: pick(profile, 50, 50, 4),
      inFlight: pick(profile, 4, 4, 2),
      payloadSize: 4096,
    }),
  },
  {
    name: 'latency',
    kind: 'latency',
    processes: 1,
    description: '64 B echo round trips at a fixed 10,000 msg/s over 10 connections (open loop, 1 ms tick)',
    mode: 'echo',
    compress: false,
    excludes: [],
    metrics: [
      { key: 'p99Micros', label: 'p99 µs', unit: 'µs', higherIsBetter: false, digits: 0 },
      { key: 'p50Micros', label: 'p50 µs', unit: 'µs', higherIsBetter: false, digits: 0 },
      { key: 'p999Micros', label: 'p99.9 µs', unit: 'µs', higherIsBetter: false, digits: 0 },
      { key: 'achievedRate', label: 'achieved msg/s', unit: 'msg/s', higherIsBetter: true, digits: 0 },
      ...cpuMetrics,
    ],
    byDefault: true,
    job: (profile, target, verify) => ({
      kind: 'latency',
      host: '127.0.0.1',
      port: target.port,
      replyFraming: target.replyFraming,
      ...timings[profile],
      verify,
      connections: pick(profile, 10, 10, 2),
      rate: pick(profile, 10_000, 10_000, 500),
      payloadSize: 64,
    }),
  },
];

export function scenarioNamed(name: string): Scenario | undefined {
  return scenarios.find((scenario) => scenario.name === name);
}
