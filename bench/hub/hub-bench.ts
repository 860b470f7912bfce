// The hub scenario of `npm run bench` (`--scenarios hub-redis`): fullduplex's hub against Socket.IO 4
// with @socket.io/redis-adapter, both on one redis-server this run starts, in alternating order
// round by round. Reports medians and the ratios the targets are stated in.
import { existsSync } from 'node:fs';
import { startRedis } from '../../test/helpers/redis-server.js';
import { type HubLoadOptions, type HubLoadResult, runHubLoad } from './hub-load.js';
import { hubTargets } from './hub-targets.js';

export const HUB_SCENARIO = 'hub-redis';

export interface HubBenchReport {
  readonly options: HubLoadOptions;
  readonly runs: HubLoadResult[];
  readonly markdown: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Why the hub scenario cannot run here, or null. */
export function hubBenchUnavailable(): string | null {
  return existsSync('/usr/bin/redis-server')
    ? null
    : 'redis-server not installed (apt-get install redis-server)';
}

export async function runHubBench(
  rounds: number,
  quick: boolean,
  log: (line: string) => void,
): Promise<HubBenchReport> {
  const options: HubLoadOptions = {
    subscribers: quick ? 400 : 2000,
    throughputSeconds: quick ? 2 : 5,
    latencyRate: 5,
    latencySeconds: quick ? 2 : 5,
  };
  const runs: HubLoadResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? hubTargets : [...hubTargets].reverse();
    for (const target of order) {
      // A fresh Redis per run: no state (or memory) carried from one system to the other.
      const redis = await startRedis();
      try {
        const result = await runHubLoad(target, redis.url, options);
        runs.push(result);
        log(
          `  ${HUB_SCENARIO} round ${round} ${target.name}: ${Math.round(result.deliveriesPerSecond)} deliveries/s, ` +
            `p50 ${result.latency.p50Ms.toFixed(2)} ms, p99 ${result.latency.p99Ms.toFixed(2)} ms, missing ${result.latency.missing}`,
        );
      } catch (error) {
        log(`  ${HUB_SCENARIO} round ${round} ${target.name}: FAILED ${(error as Error).message}`);
      } finally {
        await redis.stop();
      }
    }
  }
  return { options, runs, markdown: markdown(options, runs) };
}

function markdown(options: HubLoadOptions, runs: readonly HubLoadResult[]): string {
  const rows: string[] = [];
  const byTarget = new Map<string, HubLoadResult[]>();
  for (const run of runs) byTarget.set(run.target, [...(byTarget.get(run.target) ?? []), run]);
  const summary = new Map<string, { deliveries: number; p50: number; p99: number; missing: number }>();
  for (const [target, list] of byTarget) {
    summary.set(target, {
      deliveries: median(list.map((run) => run.deliveriesPerSecond)),
      p50: median(list.map((run) => run.latency.p50Ms)),
      p99: median(list.map((run) => run.latency.p99Ms)),
      missing: Math.max(...list.map((run) => run.latency.missing)),
    });
    const figures = summary.get(target) as { deliveries: number; p50: number; p99: number; missing: number };
    rows.push(
      `| ${target} | ${list.length} | ${Math.round(figures.deliveries).toLocaleString('en-US')} | ${figures.p50.toFixed(2)} | ${figures.p99.toFixed(2)} | ${figures.missing} |`,
    );
  }
  const ours = summary.get('fullduplex');
  const theirs = summary.get('socket.io');
  const ratio =
    ours && theirs
      ? `\nfullduplex / Socket.IO: ${(ours.deliveries / theirs.deliveries).toFixed(2)}x deliveries/s (target >= 5x); ` +
        `p99 ${ours.p99.toFixed(2)} ms vs ${theirs.p99.toFixed(2)} ms (target: lower)\n`
      : '\n';
  return `### ${HUB_SCENARIO}: one publisher, ${options.subscribers.toLocaleString('en-US')} subscribers over two processes on one Redis, 128 B messages

Deliveries/s with at most 32 messages in flight; latency from publish to each delivery at ${options.latencyRate} messages/s for ${options.latencySeconds} s (medians over rounds; missing = deliveries not seen in the latency phase, worst round). Each system's two server processes start like every bench server (pinned to the server core when taskset works); the Redis and all clients (in the bench process) are not pinned.

| system | rounds | deliveries/s | p50 ms | p99 ms | missing |
| --- | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}
${ratio}`;
}
