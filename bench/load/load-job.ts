// What the harness asks of the load generator process, and what it hears back, over the IPC channel.
// Lifecycle of one run: start -> 'opened' (connections up) -> go -> 'measured' (figures, connections
// still open so the harness can sample the server) -> finish -> 'finished' (drained and checked).

/** How the server's replies are framed: the raw echo returns the client's own (masked) frames. */
export type ReplyFraming = 'verbatim' | 'websocket';

interface JobBase {
  host: string;
  port: number;
  replyFraming: ReplyFraming;
  warmupMs: number;
  measureMs: number;
  /** Compare every reply byte with what it must be (slower; for the smoke test). */
  verify: boolean;
}

export interface EchoJob extends JobBase {
  kind: 'echo';
  connections: number;
  inFlight: number;
  payloadSize: number;
}

export interface FanOutJob extends JobBase {
  kind: 'fan-out';
  subscribers: number;
  /** Published messages not yet delivered to every subscriber, at most. */
  window: number;
  payloadSize: number;
}

export interface IdleJob extends JobBase {
  kind: 'idle';
  connections: number;
  /** Handshakes pending at once while opening. */
  concurrency: number;
  /** Loopback source addresses used in turn (127.0.0.x). */
  localAddresses: string[];
  /** Offer permessage-deflate the way a browser does (`client_max_window_bits`, nothing else). */
  deflate?: boolean;
  /**
   * When over 0: on `go`, each connection sends one compressed text message of this many bytes
   * (RSV1 set) and waits for its echo, then the connections go idle again.
   */
  exchangeSize?: number;
  /**
   * When over 0: after everything else, stay idle this long and sample memory again. V8 keeps the
   * young generation it grew during the handshake burst until its memory reducer runs (~8 s of low
   * allocation), so the first sample holds transient heap that an idle server gives back.
   */
  settleMs?: number;
}

export interface DeflateJob extends JobBase {
  kind: 'deflate';
  connections: number;
  inFlight: number;
  payloadSize: number;
}

export interface LatencyJob extends JobBase {
  kind: 'latency';
  connections: number;
  /** Messages per second over all connections, sent open-loop on a 1 ms tick. */
  rate: number;
  payloadSize: number;
}

export type LoadJob = EchoJob | FanOutJob | IdleJob | DeflateJob | LatencyJob;

export interface Opened {
  connections: number;
  handshakeSeconds: number;
  handshakesPerSecond: number;
  /** Connections whose 101 response accepted permessage-deflate (idle with `deflate`). */
  negotiated?: number;
  /** The first connection's response head, as the server sent it. */
  sampleHead?: string;
}

/** Figures from the measurement window. Which fields are set depends on the job. */
export interface Measured {
  seconds: number;
  /** The load generator's CPU over the window, % of one core (a check that it was not the limit). */
  generatorCpuPercent?: number;
  messagesPerSecond?: number;
  /** Payload MiB/s in each direction. */
  mebibytesPerSecond?: number;
  deliveriesPerSecond?: number;
  publishedPerSecond?: number;
  latencyMicros?: { p50: number; p99: number; p999: number; max: number; count: number };
  achievedRate?: number;
  /** Connections that got their one message echoed (idle with `exchangeSize`). */
  exchanged?: number;
}

/** The end-of-run audit: every reply arrived, with exactly the bytes it should have. */
export interface Check {
  ok: boolean;
  messagesSent: number;
  repliesCounted: number;
  bytesExpected: number;
  bytesReceived: number;
  /** Replies (or streams) whose bytes differed from the expected ones; only counted when verifying. */
  mismatches: number;
  verified: boolean;
  detail: string;
}

export type ToGenerator = { type: 'start'; job: LoadJob } | { type: 'go' } | { type: 'finish' };

export type FromGenerator =
  | { type: 'opened'; opened: Opened }
  | { type: 'window-start' }
  | { type: 'measured'; measured: Measured }
  | { type: 'finished'; check: Check }
  | { type: 'error'; message: string };

/** One kind of load: opens its connections, drives the window, then drains and audits. */
export interface LoadRun {
  open(): Promise<Opened>;
  go(): Promise<Measured>;
  finish(): Promise<Check>;
}
