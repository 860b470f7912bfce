// latency: round trips at a fixed, moderate rate, open loop: a 1 ms tick sends whatever the schedule
// says is due, round-robin over the connections, whether or not replies came back. Each reply's round
// trip runs from its frame's write to the chunk that completed it, recorded in an HDR histogram (µs).
import type { Socket } from 'node:net';
import { build, type Histogram } from 'hdr-histogram-js';
import { binaryPayload, clientFrame, repeatFrame, serverFrame } from './frames.js';
import type { Check, LatencyJob, LoadRun, Measured, Opened } from './load-job.js';
import { measureWindow, waitUntil } from './measure-window.js';
import { openTimed } from './open-connection.js';
import { ReplyVerifier } from './reply-verifier.js';

/** Send times of outstanding messages, oldest first; replies come back in order on one connection. */
const ringSize = 1 << 16;

class LatencyConnection {
  received = 0;
  completed = 0;
  sent = 0;
  private readonly sentAt = new Float64Array(ringSize);

  constructor(
    readonly socket: Socket,
    private readonly run: LatencyLoad,
    readonly verifier: ReplyVerifier | null,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
  }

  send(count: number, now: number): boolean {
    if (this.sent + count - this.completed > ringSize) return false;
    for (let index = 0; index < count; index++) this.sentAt[(this.sent + index) & (ringSize - 1)] = now;
    this.sent += count;
    this.socket.write(this.run.batch.subarray(0, count * this.run.frameSize));
    return true;
  }

  onData(chunk: Buffer): void {
    this.verifier?.feed(chunk);
    this.received += chunk.length;
    const done = Math.floor(this.received / this.run.replySize);
    if (done === this.completed) return;
    const now = performance.now();
    for (let index = this.completed; index < done; index++) {
      this.run.record(now - (this.sentAt[index & (ringSize - 1)] as number));
    }
    this.completed = done;
  }
}

export class LatencyLoad implements LoadRun {
  readonly batch: Buffer;
  readonly frameSize: number;
  readonly replySize: number;
  private readonly reply: Buffer;
  private readonly histogram: Histogram;
  private recording = false;
  private connections: LatencyConnection[] = [];
  private scheduled = 0;
  private next = 0;
  private overrun = false;

  constructor(private readonly job: LatencyJob) {
    const payload = binaryPayload(job.payloadSize);
    const frame = clientFrame('binary', payload);
    this.reply = job.replyFraming === 'verbatim' ? frame : serverFrame('binary', payload);
    this.frameSize = frame.length;
    this.replySize = this.reply.length;
    // The most one connection can be sent in a tick that comes a few milliseconds late.
    this.batch = repeatFrame(frame, Math.max(64, Math.ceil(job.rate / 100)));
    this.histogram = build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
  }

  record(milliseconds: number): void {
    if (this.recording) this.histogram.recordValue(Math.max(1, Math.round(milliseconds * 1000)));
  }

  async open(): Promise<Opened> {
    const job = this.job;
    const { opened, summary } = await openTimed(job.connections, () => ({ host: job.host, port: job.port }));
    for (const connection of opened) {
      const latency = new LatencyConnection(
        connection.socket,
        this,
        job.verify ? new ReplyVerifier(this.reply) : null,
      );
      if (connection.rest.length > 0) latency.onData(connection.rest);
      this.connections.push(latency);
    }
    return summary;
  }

  /** Sends what the schedule says is due by now, one message at a time round-robin. */
  private tick(startedAt: number): void {
    const now = performance.now();
    const due = Math.floor(((now - startedAt) / 1000) * this.job.rate) - this.scheduled;
    if (due <= 0) return;
    const count = this.connections.length;
    const perConnection = Math.floor(due / count);
    let extra = due - perConnection * count;
    for (let offset = 0; offset < count; offset++) {
      const connection = this.connections[(this.next + offset) % count]!;
      const share = perConnection + (extra > 0 ? 1 : 0);
      if (extra > 0) extra--;
      if (share > 0 && !connection.send(Math.min(share, this.batch.length / this.frameSize), now))
        this.overrun = true;
    }
    this.next = (this.next + (due % count)) % count;
    this.scheduled += due;
  }

  async go(): Promise<Measured> {
    const startedAt = performance.now();
    const timer = setInterval(() => this.tick(startedAt), 1);
    const window = await measureWindow(
      this.job.warmupMs,
      this.job.measureMs,
      () => this.connections.reduce((sum, c) => sum + c.sent, 0),
      () => {
        this.recording = true;
      },
    );
    this.recording = false;
    clearInterval(timer);
    const histogram = this.histogram;
    return {
      seconds: window.seconds,
      generatorCpuPercent: window.generatorCpuPercent,
      achievedRate: window.counted / window.seconds,
      messagesPerSecond: window.counted / window.seconds,
      latencyMicros: {
        p50: histogram.getValueAtPercentile(50),
        p99: histogram.getValueAtPercentile(99),
        p999: histogram.getValueAtPercentile(99.9),
        max: histogram.maxValue,
        count: histogram.totalCount,
      },
    };
  }

  async finish(): Promise<Check> {
    const drained = await waitUntil(() => this.connections.every((c) => c.completed === c.sent), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    let messagesSent = 0;
    let bytesReceived = 0;
    let mismatches = 0;
    let exact = true;
    for (const connection of this.connections) {
      messagesSent += connection.sent;
      bytesReceived += connection.received;
      mismatches += connection.verifier?.mismatches ?? 0;
      if (connection.received !== connection.sent * this.replySize) exact = false;
      connection.socket.destroy();
    }
    const ok = drained && exact && mismatches === 0 && messagesSent > 0 && !this.overrun;
    return {
      ok,
      messagesSent,
      repliesCounted: this.connections.reduce((sum, c) => sum + c.completed, 0),
      bytesExpected: messagesSent * this.replySize,
      bytesReceived,
      mismatches,
      verified: this.job.verify,
      detail: ok
        ? `${messagesSent} paced messages, every reply arrived`
        : `drained=${drained} exact=${exact} mismatches=${mismatches} overrun=${this.overrun}`,
    };
  }
}
