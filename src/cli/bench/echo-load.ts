import { performance } from 'node:perf_hooks';
import { connect } from '../../client/connect.js';
import type { Connection } from '../../connection/connection.js';
import type { MessageType } from '../../protocol/types.js';
import type { LatencyHistogram } from './latency-histogram.js';

export interface EchoLoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly inFlight: number;
  readonly size: number;
  readonly binary: boolean;
  readonly compress: boolean;
  readonly seconds: number;
  /** Called about once a second while the load runs (the live progress line). */
  readonly onTick?: (progress: LoadProgress) => void;
}

export interface LoadProgress {
  readonly elapsedSeconds: number;
  /** Replies that came back equal to what was sent. */
  readonly verified: number;
  readonly open: number;
}

/** How often each close code (and reason) ended a connection before the run was over. */
export interface CloseCount {
  readonly code: number;
  readonly reason: string;
  count: number;
}

export interface LoadResult {
  readonly elapsedSeconds: number;
  readonly verified: number;
  /** Replies that differed from the message they answer (not an echo server, or corruption). */
  readonly mismatches: number;
  /** The first mismatch, described for people. */
  readonly firstMismatch: string | undefined;
  readonly closes: readonly CloseCount[];
}

/**
 * A closed loop against an echo server: every connection keeps `inFlight` messages outstanding and
 * sends the next one when a reply arrives. Replies come back in order on a connection, so the reply to
 * message n must equal message n byte for byte (each message carries its sequence number); only such
 * verified replies are timed and counted. A connection whose reply differs stops: its replies can no
 * longer be matched to what was sent.
 */
export async function runEchoLoad(
  options: EchoLoadOptions,
  histogram: LatencyHistogram,
): Promise<LoadResult> {
  const opened: Connection[] = [];
  try {
    for (let index = 0; index < options.connections; index++) {
      opened.push(await connect(options.url, { perMessageDeflate: options.compress }));
    }
    return await measure(opened, options, histogram);
  } finally {
    await Promise.all(opened.map((connection) => connection.close(1000).catch(() => undefined)));
  }
}

async function measure(
  opened: readonly Connection[],
  options: EchoLoadOptions,
  histogram: LatencyHistogram,
): Promise<LoadResult> {
  let running = true;
  let verified = 0;
  let mismatches = 0;
  let firstMismatch: string | undefined;
  let open = opened.length;
  const closes: CloseCount[] = [];
  let allClosed: () => void = () => undefined;
  const everyoneGone = new Promise<void>((resolve) => {
    allClosed = resolve;
  });

  opened.forEach((connection, connectionIndex) => {
    const loop = new EchoLoop(options, (reply, type, sentAt) => {
      if (!running) return;
      const expected = loop.expected();
      if (type !== (options.binary ? 'binary' : 'text') || !reply.equals(expected)) {
        mismatches++;
        firstMismatch ??= describeMismatch(
          connectionIndex,
          loop.received,
          reply,
          type,
          expected,
          options.binary,
        );
        loop.stop();
        return;
      }
      histogram.record(performance.now() - sentAt);
      verified++;
      loop.sendNext(connection);
    });
    connection.onRawMessage((data, type) => loop.receive(data, type));
    connection.closed.then((info) => {
      open--;
      if (running) countClose(closes, info.code, info.reason);
      if (open === 0) allClosed();
    });
    for (let index = 0; index < options.inFlight; index++) loop.sendNext(connection);
  });

  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const ticker = options.onTick
    ? setInterval(() => options.onTick?.({ elapsedSeconds: elapsed(), verified, open }), 1000)
    : undefined;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.seconds * 1000);
    }),
    everyoneGone,
  ]);
  running = false;
  clearTimeout(timer);
  clearInterval(ticker);
  return { elapsedSeconds: elapsed(), verified, mismatches, firstMismatch, closes };
}

/** One connection's messages: `inFlight` reusable payload slots, stamped with a sequence number. */
class EchoLoop {
  readonly #slots: Buffer[];
  readonly #sentAt: Float64Array;
  readonly #sendOptions: { readonly binary: boolean };
  readonly #onReply: (reply: Buffer, type: MessageType, sentAt: number) => void;
  #sent = 0;
  received = 0;
  #stopped = false;

  constructor(options: EchoLoadOptions, onReply: (reply: Buffer, type: MessageType, sentAt: number) => void) {
    // A slot is written again only after the reply to its previous message has arrived, so the bytes
    // a queued send refers to never change under it.
    this.#slots = Array.from({ length: options.inFlight }, () => Buffer.alloc(options.size, 0x61));
    this.#sentAt = new Float64Array(options.inFlight);
    this.#sendOptions = { binary: options.binary };
    this.#onReply = onReply;
  }

  sendNext(connection: Connection): void {
    if (this.#stopped || connection.readyState !== 'open') return;
    const slot = this.#sent % this.#slots.length;
    const payload = this.#slots[slot] as Buffer;
    stamp(payload, this.#sent);
    this.#sentAt[slot] = performance.now();
    this.#sent++;
    connection.send(payload, this.#sendOptions);
  }

  receive(data: Buffer, type: MessageType): void {
    if (this.#stopped) return;
    const slot = this.received % this.#slots.length;
    this.#onReply(data, type, this.#sentAt[slot] as number);
    this.received++;
  }

  /** The message the next reply must equal. */
  expected(): Buffer {
    return this.#slots[this.received % this.#slots.length] as Buffer;
  }

  stop(): void {
    this.#stopped = true;
  }
}

/** Writes the sequence number as ASCII digits at the start (text stays valid UTF-8). */
function stamp(payload: Buffer, sequence: number): void {
  let value = sequence;
  for (let index = Math.min(payload.length, 12) - 1; index >= 0; index--) {
    payload[index] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
}

function countClose(closes: CloseCount[], code: number, reason: string): void {
  const same = closes.find((entry) => entry.code === code && entry.reason === reason);
  if (same) same.count++;
  else closes.push({ code, reason, count: 1 });
}

function describeMismatch(
  connection: number,
  index: number,
  reply: Buffer,
  type: MessageType,
  expected: Buffer,
  binary: boolean,
): string {
  const wantedType = binary ? 'binary' : 'text';
  if (type !== wantedType)
    return `reply ${index + 1} on connection ${connection + 1} was ${type}, sent ${wantedType}`;
  const preview = (bytes: Buffer): string => JSON.stringify(bytes.subarray(0, 24).toString('latin1'));
  return `reply ${index + 1} on connection ${connection + 1} differs from what was sent: got ${reply.length} bytes ${preview(reply)}, sent ${expected.length} bytes ${preview(expected)}`;
}
