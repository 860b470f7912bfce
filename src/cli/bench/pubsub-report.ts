import { describeClose, PERCENTILES } from './bench-report.js';
import type { LatencyHistogram } from './latency-histogram.js';
import type { PubSubResult } from './pubsub-load.js';

export interface PubSubSetup {
  readonly url: string;
  readonly subscribers: number;
  readonly publishers: number;
  readonly rate: number;
  readonly size: number;
  readonly compress: boolean;
}

/** Every publication reached every subscriber, intact and in order, and no connection closed. */
export function pubSubSucceeded(result: PubSubResult): boolean {
  return (
    result.delivered > 0 &&
    result.delivered === result.expected &&
    result.lost === 0 &&
    result.outOfOrder === 0 &&
    result.corrupt === 0 &&
    result.closes.length === 0
  );
}

function latency(histogram: LatencyHistogram): Record<string, number> {
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  return Object.fromEntries([
    ...PERCENTILES.map((percentile) => [`p${percentile}`, round(histogram.at(percentile))]),
    ['max', round(histogram.max)],
  ]);
}

export function pubSubJson(setup: PubSubSetup, result: PubSubResult, histogram: LatencyHistogram): string {
  const measured = result.delivered > 0 && result.corrupt === 0;
  return JSON.stringify(
    {
      mode: 'pubsub',
      ...setup,
      ok: pubSubSucceeded(result),
      seconds: Math.round(result.elapsedSeconds * 1000) / 1000,
      published: result.published,
      delivered: result.delivered,
      expected: result.expected,
      deliveriesPerSecond: measured ? Math.round(result.delivered / result.elapsedSeconds) : null,
      latencyMs: measured ? latency(histogram) : null,
      lost: result.lost,
      outOfOrder: result.outOfOrder,
      corrupt: result.corrupt,
      publisherStalls: result.publisherStalls,
      closes: result.closes,
    },
    null,
    2,
  );
}

export function pubSubText(
  setup: PubSubSetup,
  result: PubSubResult,
  histogram: LatencyHistogram,
): { report: string; problems: string[] } {
  const lines = [
    `${setup.url}: ${setup.publishers} publisher(s) at ${setup.rate}/s each, ${setup.subscribers} subscriber(s), ${setup.size} B${
      setup.compress ? ', compression offered' : ''
    }, ${result.elapsedSeconds.toFixed(2)} s`,
    `published   ${result.published} messages (${Math.round(result.published / result.elapsedSeconds)}/s)`,
    `delivered   ${result.delivered} of ${result.expected} to subscribers, checked in order and intact (${Math.round(
      result.delivered / result.elapsedSeconds,
    )}/s)`,
  ];
  if (result.delivered > 0 && result.corrupt === 0) {
    const shown = latency(histogram);
    lines.push(
      `fan-out     ${Object.entries(shown)
        .map(([name, value]) => `${name} ${value.toFixed(3)} ms`)
        .join(', ')}`,
    );
  }
  const problems: string[] = [];
  if (result.lost > 0)
    problems.push(`${result.lost} deliveries never arrived (gaps in a publisher's sequence)`);
  if (result.outOfOrder > 0) problems.push(`${result.outOfOrder} deliveries arrived out of order or twice`);
  if (result.corrupt > 0) problems.push(`${result.corrupt} deliveries were not what was published`);
  if (result.publisherStalls > 0) {
    problems.push(
      `publishers waited ${result.publisherStalls} time(s) on a full outgoing buffer: --rate is above what the server takes`,
    );
  }
  for (const close of result.closes) problems.push(describeClose(close));
  return { report: lines.join('\n'), problems };
}
