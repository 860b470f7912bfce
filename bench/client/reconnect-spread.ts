// How a crowd of hub clients comes back after a server restart: N fullduplex/client HubClients (Node,
// over fullduplex's WebSocket, default backoff and jitter) subscribed to a `fullduplex serve --mode
// hub` process; the process is SIGKILLed, stays down a while, and is started again on the same port.
// Measured per client: the time from the new process listening to its resubscribe answer (it is back),
// and every connection attempt from the kill on. Bounded by `timeoutMs`; everything it starts, it stops.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { WebSocket } from '../../src/client/web-socket/web-socket.js';
import { HubClient } from '../../src/hub-client/index.js';
import { fullduplexCli } from '../load/paths.js';

export const RECONNECT_SCENARIO = 'reconnect-spread';

export interface ReconnectSpreadOptions {
  /** Clients in the crowd (default 1000). */
  readonly clients?: number;
  /** How long the server stays down between the kill and the restart (default 1000 ms). */
  readonly downMs?: number;
  /** Bound on the whole run after the restart; clients not back by then count as not back (default 60 s). */
  readonly timeoutMs?: number;
  /** Histogram bucket width (default 100 ms). */
  readonly bucketMs?: number;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface Bucket {
  readonly fromMs: number;
  readonly count: number;
}

export interface ReconnectSpreadResult {
  readonly clients: number;
  /** Clients that were back (resubscribed on the new process) within the bound. */
  readonly back: number;
  /** From the kill to the new process's first line (`listening`): the down time plus its start. */
  readonly downForMs: number;
  /** Per client, from `listening` to its resubscribe answer, sorted. */
  readonly backMs: readonly number[];
  readonly percentiles: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Clients back per bucket of `bucketMs` after `listening`. */
  readonly histogram: readonly Bucket[];
  /**
   * Per client, from `listening` to the start of the attempt that got it back (the jitter's spread,
   * before the server's work on the handshake and the resubscribe), sorted; and its histogram.
   */
  readonly attemptMs: readonly number[];
  readonly attemptPercentiles: Percentiles;
  readonly attemptHistogram: readonly Bucket[];
  readonly bucketMs: number;
  /** Connection attempts from the kill until everyone was back, and how many of them failed. */
  readonly attempts: number;
  readonly failedAttempts: number;
  /** Of those, the ones that failed after the new process was listening (503s of its admission limits). */
  readonly failedAfterRestart: number;
  /** Attempts per client, most of them. */
  readonly maxAttemptsPerClient: number;
  /** Time for the whole crowd to connect and subscribe at the start (opened all at once). */
  readonly initialConnectMs: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** `serve --mode hub` on `port`; resolves once it printed its `listening` line. */
async function startHub(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      fullduplexCli,
      'serve',
      '--mode',
      'hub',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--history',
      '100',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    await Promise.race([
      once(lines, 'line'),
      once(child, 'exit').then(() => {
        throw new Error('the hub exited before listening');
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  return child;
}

async function stopHub(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] as number;
}

function percentiles(sorted: readonly number[]): Percentiles {
  return {
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Counts per bucket of `bucketMs` from 0 (a time before 0 counts in the first). */
function histogram(sorted: readonly number[], bucketMs: number): Bucket[] {
  const buckets: { fromMs: number; count: number }[] = [];
  for (const ms of sorted) {
    const bucket = Math.max(0, Math.floor(ms / bucketMs));
    while (buckets.length <= bucket) buckets.push({ fromMs: buckets.length * bucketMs, count: 0 });
    (buckets[bucket] as { count: number }).count++;
  }
  return buckets;
}

/** Polls `done` every 20 ms until it holds or `deadline` (performance.now()) passes. */
async function waitUntil(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

export async function runReconnectSpread(
  options: ReconnectSpreadOptions = {},
): Promise<ReconnectSpreadResult> {
  const count = options.clients ?? 1000;
  const downMs = options.downMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const bucketMs = options.bucketMs ?? 100;
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}/`;
  const hubs: ChildProcess[] = [await startHub(port)];
  const clients: HubClient[] = [];
  try {
    // Per client: when it was last back (its resubscribe answer), and its attempts since the kill.
    const backAt = new Float64Array(count);
    const lastAttemptAt = new Float64Array(count);
    const backAttemptAt = new Float64Array(count);
    const attemptsSinceKill = new Uint32Array(count);
    let subscribedOnce = 0;
    let killed = false;
    let failedAttempts = 0;
    let restarted = false;
    let failedAfterRestart = 0;
    const openedAt = performance.now();
    for (let index = 0; index < count; index++) {
      const client = new HubClient(url, { WebSocket });
      clients.push(client);
      client.on('connecting', () => {
        lastAttemptAt[index] = performance.now();
        if (killed) attemptsSinceKill[index] = (attemptsSinceKill[index] ?? 0) + 1;
      });
      client.on('disconnected', () => {
        if (killed) failedAttempts++;
        if (restarted) failedAfterRestart++;
      });
      client.subscribe('spread').on('subscribed', (event) => {
        if (event.resubscribed) {
          backAt[index] = performance.now();
          backAttemptAt[index] = lastAttemptAt[index] as number;
        } else subscribedOnce++;
      });
      client.connect();
    }
    const startDeadline = performance.now() + timeoutMs;
    if (!(await waitUntil(() => subscribedOnce === count, startDeadline))) {
      throw new Error(
        `only ${subscribedOnce} of ${count} clients subscribed within ${timeoutMs} ms at the start`,
      );
    }
    const initialConnectMs = performance.now() - openedAt;

    const killedAt = performance.now();
    killed = true;
    await stopHub(hubs[0] as ChildProcess);
    // The first drop of each client counts as a failed "attempt" above; it is not one.
    await waitUntil(() => clients.every((client) => client.state !== 'connected'), killedAt + timeoutMs);
    const elapsed = performance.now() - killedAt;
    if (elapsed < downMs) await new Promise((resolve) => setTimeout(resolve, downMs - elapsed));
    hubs.push(await startHub(port));
    const listeningAt = performance.now();
    restarted = true;
    await waitUntil(() => backAt.every((at) => at > 0), listeningAt + timeoutMs);

    const since = (times: Float64Array): number[] =>
      [...times]
        .filter((at) => at > 0)
        .map((at) => at - listeningAt)
        .sort((a, b) => a - b);
    const backMs = since(backAt);
    const attemptMs = since(backAttemptAt);
    let attempts = 0;
    let maxAttemptsPerClient = 0;
    for (const n of attemptsSinceKill) {
      attempts += n;
      maxAttemptsPerClient = Math.max(maxAttemptsPerClient, n);
    }
    return {
      clients: count,
      back: backMs.length,
      downForMs: listeningAt - killedAt,
      backMs,
      percentiles: percentiles(backMs),
      histogram: histogram(backMs, bucketMs),
      attemptMs,
      attemptPercentiles: percentiles(attemptMs),
      attemptHistogram: histogram(attemptMs, bucketMs),
      bucketMs,
      attempts,
      failedAttempts: failedAttempts - count,
      failedAfterRestart,
      maxAttemptsPerClient,
      initialConnectMs,
    };
  } finally {
    for (const client of clients) client.close();
    for (const hub of hubs) await stopHub(hub);
  }
}

/** The result as markdown: the figures, then the histogram as rows of bars. */
export function reconnectSpreadMarkdown(result: ReconnectSpreadResult, conditions: string): string {
  const f = (ms: number): string => `${Math.round(ms)} ms`;
  const line = (p: Percentiles): string =>
    `p50 ${f(p.p50)}, p90 ${f(p.p90)}, p99 ${f(p.p99)}, max ${f(p.max)}`;
  const back = result.histogram;
  const tried = result.attemptHistogram;
  const widest = Math.max(1, ...back.map((bucket) => bucket.count), ...tried.map((bucket) => bucket.count));
  const bar = (count: number): string => '#'.repeat(Math.round((30 * count) / widest));
  const rows: string[] = [];
  for (let index = 0; index < Math.max(back.length, tried.length); index++) {
    const from = index * result.bucketMs;
    const started = tried[index]?.count ?? 0;
    const done = back[index]?.count ?? 0;
    rows.push(
      `| ${from}-${from + result.bucketMs} | ${started} | ${bar(started)} | ${done} | ${bar(done)} |`,
    );
  }
  return [
    `### ${RECONNECT_SCENARIO}: ${result.clients} hub clients after a server restart`,
    '',
    conditions,
    '',
    `Back: ${result.back} of ${result.clients}. Down for ${f(result.downForMs)} (kill to the new process listening).`,
    `From listening to the start of the attempt that got each client back: ${line(result.attemptPercentiles)}.`,
    `From listening to resubscribed: ${line(result.percentiles)}.`,
    `Attempts after the kill: ${result.attempts} (${result.failedAttempts} failed, ${result.failedAfterRestart} of them after the restart), at most ${result.maxAttemptsPerClient} by one client.`,
    '',
    '| ms after listening | good attempts started | | clients back | |',
    '| --- | ---: | --- | ---: | --- |',
    ...rows,
  ].join('\n');
}
