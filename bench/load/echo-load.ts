// echo-small / echo-16k / echo-1m: every connection keeps `inFlight` fixed-size binary messages
// outstanding. Replies are never parsed: their size is known, so completed replies are received bytes
// divided by the reply size, and each completion is refilled by writing a slice of one pre-masked batch.
import type { Socket } from 'node:net';
import { binaryPayload, clientFrame, repeatFrame, serverFrame } from './frames.js';
import type { Check, EchoJob, LoadRun, Measured, Opened } from './load-job.js';
import { measureThroughput, waitUntil } from './measure-window.js';
import { openTimed } from './open-connection.js';
import { ReplyVerifier } from './reply-verifier.js';

class EchoConnection {
  received = 0;
  completed = 0;
  sent = 0;

  constructor(
    readonly socket: Socket,
    private readonly run: EchoLoad,
    readonly verifier: ReplyVerifier | null,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
  }

  start(): void {
    this.sent = this.run.inFlight;
    this.socket.write(this.run.batch);
  }

  onData(chunk: Buffer): void {
    this.verifier?.feed(chunk);
    this.received += chunk.length;
    const done = Math.floor(this.received / this.run.replySize);
    const fresh = done - this.completed;
    if (fresh === 0) return;
    this.completed = done;
    this.run.completed += fresh;
    if (!this.run.refilling) return;
    this.sent += fresh;
    this.socket.write(this.run.batch.subarray(0, fresh * this.run.frameSize));
  }
}

export class EchoLoad implements LoadRun {
  readonly batch: Buffer;
  readonly frameSize: number;
  readonly replySize: number;
  readonly inFlight: number;
  private readonly reply: Buffer;
  completed = 0;
  refilling = true;
  private connections: EchoConnection[] = [];

  constructor(private readonly job: EchoJob) {
    const payload = binaryPayload(job.payloadSize);
    const frame = clientFrame('binary', payload);
    this.reply = job.replyFraming === 'verbatim' ? frame : serverFrame('binary', payload);
    this.frameSize = frame.length;
    this.replySize = this.reply.length;
    this.inFlight = job.inFlight;
    this.batch = repeatFrame(frame, job.inFlight);
  }

  async open(): Promise<Opened> {
    const job = this.job;
    const { opened, summary } = await openTimed(job.connections, () => ({ host: job.host, port: job.port }));
    for (const connection of opened) {
      const echo = new EchoConnection(
        connection.socket,
        this,
        job.verify ? new ReplyVerifier(this.reply) : null,
      );
      if (connection.rest.length > 0) echo.onData(connection.rest);
      this.connections.push(echo);
    }
    return summary;
  }

  async go(): Promise<Measured> {
    for (const connection of this.connections) connection.start();
    return measureThroughput(this.job, () => this.completed);
  }

  async finish(): Promise<Check> {
    this.refilling = false;
    const drained = await waitUntil(() => this.connections.every((c) => c.completed === c.sent), 10_000);
    // A moment more, so bytes beyond the expected ones (a server sending extra) would show up.
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
    const bytesExpected = messagesSent * this.replySize;
    const ok = drained && exact && mismatches === 0 && messagesSent > 0;
    return {
      ok,
      messagesSent,
      repliesCounted: this.completed,
      bytesExpected,
      bytesReceived,
      mismatches,
      verified: this.job.verify,
      detail: ok
        ? `${this.connections.length} connections: every reply arrived, ${this.replySize} bytes each`
        : `drained=${drained} exact=${exact} mismatches=${mismatches}`,
    };
  }
}
