// The idle curve: `serve --mode echo --workers N` grows to each step's number of connections, held
// silent by the generator fleet; after each step the server tree's memory (right away and settled),
// the kernel's socket memory and the handshake rate are read. At the end a sample of the connections
// echoes one message each. A step with a failed handshake or a dropped connection ends the curve
// there, and says what failed.

import { type FleetOptions, GeneratorFleet } from './generator-fleet.js';
import { type KernelSample, kernelSample } from './kernel-memory.js';
import { type Health, sharedClockMs } from './scale-protocol.js';
import { cpuOfPid, ServerTree, type TreeMemory } from './server-tree.js';

export interface IdleOptions {
  steps: number[];
  workers: number;
  fleet: FleetOptions;
  settleMs: number;
  echoSample: number;
  pingIntervalMs: number;
  deadline: number;
}

export interface MemoryFigures {
  rssKiBPerConnection: number;
  heapKiBPerConnection: number;
  externalKiBPerConnection: number;
  serverRssMiB: number;
  maxWorkerRssMiB: number;
  maxWorkerFds: number;
}

export interface IdleStep {
  connections: number;
  added: number;
  failures: Record<string, number>;
  seconds: number;
  handshakesPerSecond: number;
  /** Server tree CPU per handshake of this step, µs: the workers, and the primary (accept + hand-off). */
  workerCpuMicrosPerHandshake: number;
  primaryCpuMicrosPerHandshake: number;
  generatorCpuMicrosPerHandshake: number;
  /** Server CPU while the connections sat idle before the settled sample (heartbeats, GC), per connection per second, µs. */
  heldCpuMicrosPerConnectionSecond: number | null;
  immediate: MemoryFigures;
  settled: MemoryFigures | null;
  kernel: { tcpInUse: number; tcpBufferKiB: number; slabKiBPerConnection: number; slabMiB: number };
  health: Health;
}

export interface IdleResult {
  workers: number;
  generators: number;
  sources: number;
  baselineRssMiB: number;
  steps: IdleStep[];
  /** Why the curve ended before its last step, or null. */
  stoppedBy: string | null;
  echo: { sampled: number; matched: number; problems: string[] } | null;
}

const kibibyte = 1024;
const mebibyte = 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function figures(sample: TreeMemory, baseline: TreeMemory, connections: number): MemoryFigures {
  const per = (field: 'rss' | 'heapUsed' | 'external'): number =>
    (sample[field] - baseline[field]) / connections / kibibyte;
  return {
    rssKiBPerConnection: per('rss'),
    heapKiBPerConnection: per('heapUsed'),
    externalKiBPerConnection: per('external'),
    serverRssMiB: sample.rss / mebibyte,
    maxWorkerRssMiB: sample.maxWorkerRss / mebibyte,
    maxWorkerFds: sample.maxWorkerFds,
  };
}

function sumHealth(list: readonly Health[]): Health {
  return list.reduce(
    (total, each) => ({
      held: total.held + each.held,
      closedByPeer: total.closedByPeer + each.closedByPeer,
      pingsAnswered: total.pingsAnswered + each.pingsAnswered,
      unexpectedFrames: total.unexpectedFrames + each.unexpectedFrames,
    }),
    { held: 0, closedByPeer: 0, pingsAnswered: 0, unexpectedFrames: 0 },
  );
}

export async function runIdleScale(
  options: IdleOptions,
  log: (line: string) => void,
  onStep: (partial: IdleResult) => void = () => {},
): Promise<IdleResult> {
  const result: IdleResult = {
    workers: options.workers,
    generators: options.fleet.generators,
    sources: options.fleet.generators * options.fleet.sourcesPerGenerator,
    baselineRssMiB: 0,
    steps: [],
    stoppedBy: null,
    echo: null,
  };
  const server = await ServerTree.start(
    [
      '--mode',
      'echo',
      '--workers',
      String(options.workers),
      '--ping-interval',
      String(options.pingIntervalMs),
    ],
    options.deadline,
  );
  const fleet = await GeneratorFleet.start(options.fleet, options.deadline);
  try {
    await fleet.setup(server.port, 0, '');
    // Warm-up: a few connections per worker, echoed and dropped, so lazily loaded code is not charged
    // to the measured connections.
    await fleet.grow(options.workers * 20, Date.now() + 120_000);
    await fleet.echo(options.workers * 20, 30_000);
    await fleet.drop();
    await sleep(500);
    const baseline = await server.memory();
    let settledBaseline = baseline;
    if (options.settleMs > 0) {
      await sleep(options.settleMs);
      settledBaseline = await server.memory();
    }
    const kernelBaseline = kernelSample();
    result.baselineRssMiB = baseline.rss / mebibyte;
    log(
      `  baseline: ${(baseline.rss / mebibyte).toFixed(1)} MiB RSS over ${baseline.processes} server processes`,
    );
    let held = 0;
    for (const target of options.steps) {
      // Room after the last step for its memory samples, the echo check and closing everything.
      const until = options.deadline - 150_000;
      if (until <= Date.now()) {
        result.stoppedBy = `time budget spent before the ${target.toLocaleString('en-US')} step`;
        break;
      }
      const cpuBefore = server.cpuMicros();
      const generatorCpuBefore = fleet.pids().reduce((total, pid) => total + cpuOfPid(pid), 0);
      const started = sharedClockMs();
      const answers = await fleet.grow(target, until);
      const seconds = (sharedClockMs() - started) / 1000;
      const cpuAfter = server.cpuMicros();
      const generatorCpu = fleet.pids().reduce((total, pid) => total + cpuOfPid(pid), 0) - generatorCpuBefore;
      const added = answers.reduce((total, answer) => total + answer.grown.added, 0);
      const failures: Record<string, number> = {};
      for (const answer of answers) {
        for (const [why, count] of Object.entries(answer.grown.failures))
          failures[why] = (failures[why] ?? 0) + count;
      }
      held += added;
      const kernel: KernelSample = kernelSample();
      const immediate = await server.memory();
      const step: IdleStep = {
        connections: held,
        added,
        failures,
        seconds,
        handshakesPerSecond: added / seconds,
        workerCpuMicrosPerHandshake: (cpuAfter.workers - cpuBefore.workers) / added,
        primaryCpuMicrosPerHandshake: (cpuAfter.primary - cpuBefore.primary) / added,
        generatorCpuMicrosPerHandshake: generatorCpu / added,
        heldCpuMicrosPerConnectionSecond: null,
        immediate: figures(immediate, baseline, held),
        settled: null,
        kernel: {
          tcpInUse: kernel.tcpInUse,
          tcpBufferKiB: kernel.tcpBufferBytes / kibibyte,
          slabKiBPerConnection: (kernel.slabBytes - kernelBaseline.slabBytes) / held / kibibyte,
          slabMiB: kernel.slabBytes / mebibyte,
        },
        health: sumHealth(answers.map((answer) => answer.health)),
      };
      result.steps.push(step);
      onStep(result);
      log(
        `  ${held.toLocaleString('en-US')} held: ${step.handshakesPerSecond.toFixed(0)} handshakes/s, ` +
          `${step.immediate.rssKiBPerConnection.toFixed(2)} KiB RSS/conn right away, ` +
          `kernel slab ${step.kernel.slabKiBPerConnection.toFixed(2)} KiB/conn` +
          (Object.keys(failures).length > 0 ? `, failed: ${JSON.stringify(failures)}` : ''),
      );
      if (options.settleMs > 0 && Date.now() + options.settleMs < options.deadline - 90_000) {
        const settleCpuBefore = server.cpuMicros();
        await sleep(options.settleMs);
        const settleCpuAfter = server.cpuMicros();
        // Nothing opens meanwhile: what the server spends is heartbeats (pings sent, pongs read) and GC.
        step.heldCpuMicrosPerConnectionSecond =
          (settleCpuAfter.workers +
            settleCpuAfter.primary -
            settleCpuBefore.workers -
            settleCpuBefore.primary) /
          held /
          (options.settleMs / 1000);
        step.settled = figures(await server.memory(), settledBaseline, held);
        log(`    settled: ${step.settled.rssKiBPerConnection.toFixed(2)} KiB RSS/conn`);
        onStep(result);
      }
      const health = step.health;
      if (held < target) {
        result.stoppedBy = `time budget spent at ${held.toLocaleString('en-US')} of ${target.toLocaleString('en-US')}`;
      } else if (Object.keys(failures).length > 0) {
        result.stoppedBy = `handshakes failed on the way to ${target.toLocaleString('en-US')}: ${JSON.stringify(failures)}`;
      } else if (health.closedByPeer > 0) {
        result.stoppedBy = `${health.closedByPeer} connections were closed by the server`;
      } else if (!server.running) {
        result.stoppedBy = 'the server exited';
      }
      if (result.stoppedBy !== null) break;
    }
    if (server.running && held > 0) {
      const answers = await fleet.echo(options.echoSample, 60_000);
      result.echo = {
        sampled: answers.reduce((total, answer) => total + answer.echoed.sampled, 0),
        matched: answers.reduce((total, answer) => total + answer.echoed.matched, 0),
        problems: answers.flatMap((answer) => answer.echoed.problems).slice(0, 5),
      };
      const last = result.steps.at(-1);
      const health = sumHealth(answers.map((answer) => answer.health));
      if (last !== undefined) last.health = health;
      log(`  echo sample: ${result.echo.matched} of ${result.echo.sampled} echoed exactly`);
    }
    await fleet.drop();
  } finally {
    await fleet.stop();
    await server.stop();
  }
  return result;
}
