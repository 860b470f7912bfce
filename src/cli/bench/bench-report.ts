import type { CloseCount, LoadResult } from './echo-load.js';
import type { LatencyHistogram } from './latency-histogram.js';

export interface BenchSetup {
  readonly url: string;
  readonly connections: number;
  readonly inFlight: number;
  readonly size: number;
  readonly binary: boolean;
  readonly compress: boolean;
}

export const PERCENTILES = [50, 90, 99, 99.9] as const;

/** Close codes people meet in a bench run, named as RFC 6455 7.4.1 names them. */
const closeNames: Readonly<Record<number, string>> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status',
  1006: 'abnormal closure',
  1007: 'invalid payload',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'server error',
  1013: 'try again later',
};

/** Whether the run measured what it claims: replies verified and every connection open to the end. */
export function benchSucceeded(result: LoadResult): boolean {
  return result.verified > 0 && result.mismatches === 0 && result.closes.length === 0;
}

/**
 * Whether the figures mean anything: some replies verified and none wrong. After a wrong reply the
 * server is not echoing, so even the replies that matched measured something else.
 */
function measured(result: LoadResult): boolean {
  return result.verified > 0 && result.mismatches === 0;
}

/** The report as one JSON object (`--json`); rates and latencies (ms) are null when not measured. */
export function benchJson(setup: BenchSetup, result: LoadResult, histogram: LatencyHistogram): string {
  const valid = measured(result);
  const latencyMs = !valid
    ? null
    : Object.fromEntries([
        ...PERCENTILES.map((percentile) => [`p${percentile}`, round(histogram.at(percentile))]),
        ['max', round(histogram.max)],
      ]);
  return JSON.stringify(
    {
      ...setup,
      ok: benchSucceeded(result),
      seconds: round(result.elapsedSeconds),
      messages: result.verified,
      messagesPerSecond: valid ? Math.round(result.verified / result.elapsedSeconds) : null,
      bytesPerSecond: valid ? Math.round((result.verified * setup.size) / result.elapsedSeconds) : null,
      latencyMs,
      mismatches: result.mismatches,
      ...(result.firstMismatch ? { firstMismatch: result.firstMismatch } : {}),
      closes: result.closes,
    },
    null,
    2,
  );
}

/** The report for people: what ran, what came back, and what went wrong (on stderr by the caller). */
export function benchText(
  setup: BenchSetup,
  result: LoadResult,
  histogram: LatencyHistogram,
): { report: string; problems: string[] } {
  const lines = [
    `${setup.url}: ${setup.connections} connections, ${setup.inFlight} in flight each, ${setup.size} B ${
      setup.binary ? 'binary' : 'text'
    }${setup.compress ? ', compression offered' : ''}, ${result.elapsedSeconds.toFixed(2)} s`,
  ];
  if (result.mismatches > 0) {
    lines.push('messages    not measured: replies did not match what was sent');
  } else if (result.verified > 0) {
    const rate = result.verified / result.elapsedSeconds;
    lines.push(
      `messages    ${result.verified} round trips, every reply checked against what was sent`,
      `throughput  ${Math.round(rate)} messages/s, ${((rate * setup.size) / 1024 / 1024).toFixed(2)} MiB/s each way`,
      `round trip  ${[...PERCENTILES.map((percentile) => `p${percentile} ${ms(histogram.at(percentile))}`), `max ${ms(histogram.max)}`].join(', ')}`,
    );
  } else {
    lines.push('messages    no replies came back: nothing measured');
  }
  const problems: string[] = [];
  if (result.mismatches > 0) {
    problems.push(
      `${result.mismatches} connection(s) got a reply that is not what they sent; is ${setup.url} an echo server? First: ${result.firstMismatch}`,
    );
  }
  for (const close of result.closes) problems.push(describeClose(close));
  return { report: lines.join('\n'), problems };
}

export function describeClose(close: CloseCount): string {
  const name = closeNames[close.code];
  const reason = close.reason ? ` "${close.reason}"` : '';
  return `${close.count} connection(s) closed during the run: ${close.code}${name ? ` (${name})` : ''}${reason}`;
}

function ms(value: number): string {
  return `${value.toFixed(3)} ms`;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
