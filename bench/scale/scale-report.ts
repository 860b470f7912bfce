// Markdown tables of a scale run, for stdout and BENCHMARKS.md.
import type { BroadcastResult } from './broadcast-scale.js';
import type { IdleResult } from './idle-scale.js';

const integer = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–';
const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function idleMarkdown(result: IdleResult): string {
  const lines = [
    `Idle connections held by \`serve --mode echo --workers ${result.workers}\` (server pinned to one core), opened by ${result.generators} generator processes from ${result.sources} loopback source addresses (the other core). Memory per connection is the server tree's (primary + workers) growth over its baseline (${fixed(result.baselineRssMiB, 1)} MiB) after two forced collections, right away and after settling; kernel slab is machine-wide for the TCP socket caches (both ends of each connection).`,
    '',
    '| connections | handshakes/s | server CPU µs/handshake (workers + primary) | held: server CPU µs per conn per s | RSS KiB/conn | RSS KiB/conn settled | heap KiB/conn | server RSS MiB | largest worker: RSS MiB, fds | kernel slab KiB/conn | TCP sockets in use | sockstat buffers KiB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const step of result.steps) {
    lines.push(
      `| ${integer(step.connections)} | ${integer(step.handshakesPerSecond)} | ${fixed(step.workerCpuMicrosPerHandshake, 0)} + ${fixed(step.primaryCpuMicrosPerHandshake, 0)} | ${step.heldCpuMicrosPerConnectionSecond === null ? '–' : fixed(step.heldCpuMicrosPerConnectionSecond, 3)} | ${fixed(step.immediate.rssKiBPerConnection)} | ${step.settled === null ? '–' : fixed(step.settled.rssKiBPerConnection)} | ${fixed(step.immediate.heapKiBPerConnection)} | ${fixed(step.immediate.serverRssMiB, 0)} | ${fixed(step.immediate.maxWorkerRssMiB, 0)}, ${integer(step.immediate.maxWorkerFds)} | ${fixed(step.kernel.slabKiBPerConnection)} | ${integer(step.kernel.tcpInUse)} | ${integer(step.kernel.tcpBufferKiB)} |`,
    );
  }
  lines.push('');
  if (result.echo !== null)
    lines.push(
      `Echo check at the end: ${result.echo.matched} of ${result.echo.sampled} sampled connections echoed their message exactly${result.echo.problems.length > 0 ? ` (${result.echo.problems.join('; ')})` : ''}.`,
    );
  if (result.stoppedBy !== null) lines.push(`Stopped: ${result.stoppedBy}.`);
  return lines.join('\n');
}

export function broadcastMarkdown(results: readonly BroadcastResult[]): string {
  const lines = [
    '| subscribers | topics | publish rate msg/s | messages | deliveries/s | time to every subscriber p50 / p99 / max ms | first delivery p50 ms | delivered / expected | server CPU µs/delivery | Redis CPU %, µs/publication |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    for (const rate of result.rates) {
      lines.push(
        `| ${integer(result.subscribers)} | ${integer(result.topics)} | ${integer(rate.rate)} | ${integer(rate.messages)} | ${integer(rate.deliveriesPerSecond)} | ${fixed(rate.completeMs.p50, 1)} / ${fixed(rate.completeMs.p99, 1)} / ${fixed(rate.completeMs.max, 1)} | ${fixed(rate.firstMs.p50, 1)} | ${integer(rate.delivered)} / ${integer(rate.expected)} | ${fixed(rate.serverCpuMicrosPerDelivery)} | ${fixed(rate.redisCpuPercent, 0)}, ${fixed(rate.redisCpuMicrosPerPublication, 0)} |`,
      );
    }
  }
  for (const result of results)
    if (result.stoppedBy !== null) lines.push('', `Stopped (${result.topics} topics): ${result.stoppedBy}.`);
  return lines.join('\n');
}
