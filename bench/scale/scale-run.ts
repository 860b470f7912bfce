// `npm run bench:scale`: the scale group, not part of `npm run bench`'s default set. Holds 10k, 50k,
// 100k, then 250k idle connections on `serve --mode echo --workers N`, then broadcasts to 100k
// subscribers of one topic, and to 1,000 topics of 100, through `serve --mode hub --workers N
// --redis` on a redis-server it starts. Bounded by --budget-minutes; kills every process it started,
// also on failure and Ctrl-C. Markdown on stdout, every figure in bench/results/scale.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { resultsDirectory } from '../load/paths.js';
import { canPin } from '../load/pinning.js';
import { replaceMarkedSection } from '../load/update-benchmarks.js';
import { type BroadcastResult, runBroadcastPhase } from './broadcast-scale.js';
import { killTrackedOnExit } from './child-processes.js';
import { type FleetOptions, GeneratorFleet } from './generator-fleet.js';
import { type IdleResult, runIdleScale } from './idle-scale.js';
import { RedisProcess, redisUnavailable } from './redis-process.js';
import { broadcastMarkdown, idleMarkdown } from './scale-report.js';
import { ServerTree } from './server-tree.js';

const usage = `usage: npm run bench:scale -- [options]   (node .build/bench/scale/scale-run.js after npm run build:test)
  --only idle|broadcast        run one part (default: both)
  --steps a,b,c                idle connections to hold, in order (default 10000,50000,100000,250000)
  --workers N                  server worker processes (default 16)
  --generators N               generator processes (default 16)
  --sources-per-generator N    loopback source addresses per generator (default 4)
  --concurrency N              handshakes pending at once per generator (default 16)
  --settle-seconds S           idle time before the settled memory sample (default 12; 0: none)
  --echo-sample N              connections that echo one message at the end (default 1000)
  --ping-interval MS           the server's heartbeat (default 30000, the CLI's; the generators answer)
  --subscribers N              broadcast subscribers (default 100000)
  --topics a,b                 broadcast topic counts, subscribers spread evenly (default 1,1000)
  --rates-one a,b              publish rates (msg/s) for one topic (default 1,2)
  --rates-many a,b             publish rates (msg/s) over many topics (default 200,1000)
  --seconds S                  seconds per publish rate (default 10)
  --budget-minutes M           stop what is left after M minutes (default 30)
  --smoke                      500 connections, 2 workers, 2 generators, short (the CI test)
  --update-docs                also write the tables into BENCHMARKS.md (between the bench:scale markers)`;

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    steps: { type: 'string', default: '10000,50000,100000,250000' },
    workers: { type: 'string', default: '16' },
    generators: { type: 'string', default: '16' },
    'sources-per-generator': { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '16' },
    'settle-seconds': { type: 'string', default: '12' },
    'echo-sample': { type: 'string', default: '1000' },
    'ping-interval': { type: 'string', default: '30000' },
    subscribers: { type: 'string', default: '100000' },
    topics: { type: 'string', default: '1,1000' },
    'rates-one': { type: 'string', default: '1,2' },
    'rates-many': { type: 'string', default: '200,1000' },
    seconds: { type: 'string', default: '10' },
    'budget-minutes': { type: 'string', default: '30' },
    smoke: { type: 'boolean', default: false },
    'update-docs': { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}

const numbers = (list: string): number[] => list.split(',').map((item) => Number(item.trim()));
const smoke = values.smoke;
const settings = {
  steps: smoke ? [250, 500] : numbers(values.steps),
  workers: smoke ? 2 : Number(values.workers),
  generators: smoke ? 2 : Number(values.generators),
  sourcesPerGenerator: smoke ? 2 : Number(values['sources-per-generator']),
  concurrency: Number(values.concurrency),
  settleMs: smoke ? 0 : Number(values['settle-seconds']) * 1000,
  echoSample: smoke ? 50 : Number(values['echo-sample']),
  pingIntervalMs: Number(values['ping-interval']),
  subscribers: smoke ? 500 : Number(values.subscribers),
  topics: smoke ? [1, 10] : numbers(values.topics),
  ratesOne: smoke ? [5] : numbers(values['rates-one']),
  ratesMany: smoke ? [50] : numbers(values['rates-many']),
  seconds: smoke ? 1 : Number(values.seconds),
  budgetMs: (smoke ? 3 : Number(values['budget-minutes'])) * 60_000,
};
const runIdle = values.only === undefined || values.only === 'idle';
const runBroadcast = values.only === undefined || values.only === 'broadcast';

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function openFileLimit(): number {
  return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
}

function portRange(): number {
  const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  return (high as number) - (low as number) + 1;
}

/** Refuses settings that would break on the machine's limits before anything starts, saying which. */
function checkLimits(): void {
  const largest = Math.max(...settings.steps, runBroadcast ? settings.subscribers : 0);
  const files = openFileLimit();
  const perGenerator = Math.ceil(largest / settings.generators);
  const perWorker = Math.ceil(largest / settings.workers);
  const perSource = Math.ceil(perGenerator / settings.sourcesPerGenerator);
  const problems: string[] = [];
  // ~100 descriptors of a Node process are not sockets.
  if (perGenerator > files - 100)
    problems.push(`${perGenerator} connections per generator, open-file limit ${files}: raise --generators`);
  if (perWorker > files - 100)
    problems.push(`${perWorker} connections per worker, open-file limit ${files}: raise --workers`);
  if (perSource > portRange())
    problems.push(
      `${perSource} connections per source address, ${portRange()} ephemeral ports: raise --sources-per-generator`,
    );
  if (problems.length > 0)
    throw new Error(`settings over this machine's limits:\n  ${problems.join('\n  ')}`);
}

async function broadcastPart(
  deadline: number,
  onPhase: (partial: BroadcastResult[]) => void,
): Promise<BroadcastResult[]> {
  const phases: BroadcastResult[] = [];
  const redis = await RedisProcess.start(deadline);
  let server: ServerTree | undefined;
  let fleet: GeneratorFleet | undefined;
  try {
    server = await ServerTree.start(
      [
        '--mode',
        'hub',
        '--workers',
        String(settings.workers),
        '--redis',
        redis.url,
        '--publish-rate',
        '0',
        '--ping-interval',
        String(settings.pingIntervalMs),
      ],
      deadline,
    );
    fleet = await GeneratorFleet.start(fleetOptions(), deadline);
    for (const topics of settings.topics) {
      log(`broadcast: ${settings.subscribers.toLocaleString('en-US')} subscribers over ${topics} topic(s)`);
      const result = await runBroadcastPhase(
        {
          subscribers: settings.subscribers,
          topics,
          rates: topics === 1 ? settings.ratesOne : settings.ratesMany,
          seconds: settings.seconds,
          messageBytes: 64,
        },
        server,
        redis,
        fleet,
        settings.workers,
        deadline,
        log,
      );
      phases.push(result);
      onPhase(phases);
      if (!server.running) break;
    }
  } finally {
    await fleet?.stop();
    await server?.stop();
    await redis.stop();
  }
  return phases;
}

function fleetOptions(): FleetOptions {
  return {
    generators: settings.generators,
    sourcesPerGenerator: settings.sourcesPerGenerator,
    concurrency: settings.concurrency,
    handshakeTimeoutMs: 30_000,
  };
}

interface ScaleResults {
  generatedAt: string;
  command: string;
  machine: Record<string, unknown>;
  loadAverageAtEnd: string;
  settings: typeof settings;
  durationSeconds: number;
  idle: IdleResult | null;
  broadcast: BroadcastResult[];
  error: string | null;
}

const outputPath = values.json ?? `${resultsDirectory}scale.json`;
const startedAt = Date.now();

/** Written after every step too, so a run cut short still leaves its figures. */
function save(results: ScaleResults): void {
  results.loadAverageAtEnd = loadAverage();
  results.durationSeconds = (Date.now() - startedAt) / 1000;
  mkdirSync(resultsDirectory, { recursive: true });
  writeFileSync(outputPath, `${JSON.stringify(results, null, 2)}\n`);
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function markdown(results: ScaleResults): string {
  const machine = results.machine;
  let text = `Measured ${results.generatedAt} with \`${results.command}\`; ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; load average ${machine.loadAverageAtStart} at the start, ${results.loadAverageAtEnd} at the end.\n\n`;
  if (results.idle !== null) text += `### scale: idle connections\n\n${idleMarkdown(results.idle)}\n\n`;
  if (results.broadcast.length > 0) {
    text += `### scale: broadcast through Redis (${settings.workers} workers)\n\n${broadcastMarkdown(results.broadcast)}\n\n`;
  }
  if (results.error !== null) text += `Run failed: ${results.error}\n`;
  return text;
}

const results: ScaleResults = {
  generatedAt: new Date().toISOString(),
  command: `npm run bench:scale -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine: {},
  loadAverageAtEnd: '',
  settings,
  durationSeconds: 0,
  idle: null,
  broadcast: [],
  error: null,
};

async function main(): Promise<void> {
  killTrackedOnExit();
  checkLimits();
  const deadline = startedAt + settings.budgetMs;
  results.machine = {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    pinned: canPin(),
    openFileLimit: openFileLimit(),
    ephemeralPorts: portRange(),
    loadAverageAtStart: loadAverage(),
  };
  log(`scale: ${JSON.stringify(results.machine)}`);
  if (runIdle) {
    log(
      `idle: steps ${settings.steps.join(', ')} on ${settings.workers} workers, ${settings.generators} generators`,
    );
    results.idle = await runIdleScale(
      {
        steps: settings.steps,
        workers: settings.workers,
        fleet: fleetOptions(),
        settleMs: settings.settleMs,
        echoSample: settings.echoSample,
        pingIntervalMs: settings.pingIntervalMs,
        deadline,
      },
      log,
      (partial) => {
        results.idle = partial;
        save(results);
      },
    );
    save(results);
  }
  if (runBroadcast) {
    const unavailable = redisUnavailable();
    if (unavailable !== null) log(`broadcast skipped: ${unavailable}`);
    else {
      results.broadcast = await broadcastPart(deadline, (partial) => {
        results.broadcast = partial;
        save(results);
      });
    }
  }
  save(results);
  const text = markdown(results);
  process.stdout.write(text);
  log(`wrote ${outputPath} in ${results.durationSeconds.toFixed(0)} s`);
  if (values['update-docs']) log(replaceMarkedSection('bench:scale', text));
  const idle = results.idle;
  const failed =
    (idle !== null &&
      (idle.stoppedBy !== null || idle.echo === null || idle.echo.matched !== idle.echo.sampled)) ||
    results.broadcast.some((result) => result.stoppedBy !== null);
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  results.error = error instanceof Error ? error.message : String(error);
  console.error(results.error);
  if (results.machine.cores !== undefined) {
    save(results);
    process.stdout.write(markdown(results));
  }
  process.exitCode = 1;
});
