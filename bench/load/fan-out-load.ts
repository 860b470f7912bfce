// fan-out: one publisher, many subscribers on a broadcast-mode server. The publisher keeps at most
// `window` messages not yet delivered to everyone (judged from the subscribers' total bytes, so the
// check costs two divisions per chunk); subscribers only count bytes. Deliveries = subscriber replies.
import type { Socket } from 'node:net';
import { binaryPayload, clientFrame, repeatFrame, serverFrame } from './frames.js';
import type { Check, FanOutJob, LoadRun, Measured, Opened } from './load-job.js';
import { measureWindow, waitUntil } from './measure-window.js';
import { openTimed } from './open-connection.js';
import { ReplyVerifier } from './reply-verifier.js';

interface Subscriber {
  socket: Socket;
  received: number;
  verifier: ReplyVerifier | null;
}

export class FanOutLoad implements LoadRun {
  private readonly batch: Buffer;
  private readonly frameSize: number;
  private readonly reply: Buffer;
  private readonly subscribers: Subscriber[] = [];
  private publisher: Socket | null = null;
  private published = 0;
  private subscriberBytes = 0;
  private publishing = false;

  constructor(private readonly job: FanOutJob) {
    const payload = binaryPayload(job.payloadSize);
    const frame = clientFrame('binary', payload);
    this.reply = job.replyFraming === 'verbatim' ? frame : serverFrame('binary', payload);
    this.frameSize = frame.length;
    this.batch = repeatFrame(frame, job.window);
  }

  private deliveries(): number {
    return this.subscriberBytes / this.reply.length;
  }

  private onSubscriberData(subscriber: Subscriber, chunk: Buffer): void {
    subscriber.verifier?.feed(chunk);
    subscriber.received += chunk.length;
    this.subscriberBytes += chunk.length;
    if (this.publishing) this.refill();
  }

  /** Tops the window up once half of it has been delivered everywhere. */
  private refill(): void {
    const outstanding = this.published - Math.floor(this.deliveries() / this.subscribers.length);
    if (outstanding > this.job.window >> 1) return;
    const count = this.job.window - outstanding;
    this.published += count;
    this.publisher?.write(this.batch.subarray(0, count * this.frameSize));
  }

  async open(): Promise<Opened> {
    const job = this.job;
    const { opened, summary } = await openTimed(job.subscribers + 1, () => ({
      host: job.host,
      port: job.port,
    }));
    const [publisher, ...subscribers] = opened;
    this.publisher = publisher!.socket;
    // Whether the server also sends to the publisher is its choice: those bytes are read and ignored.
    this.publisher.on('data', () => {});
    this.publisher.on('error', () => {});
    for (const connection of subscribers) {
      const subscriber: Subscriber = {
        socket: connection.socket,
        received: 0,
        verifier: job.verify ? new ReplyVerifier(this.reply) : null,
      };
      connection.socket.on('data', (chunk: Buffer) => this.onSubscriberData(subscriber, chunk));
      connection.socket.on('error', () => {});
      if (connection.rest.length > 0) this.onSubscriberData(subscriber, connection.rest);
      this.subscribers.push(subscriber);
    }
    return summary;
  }

  async go(): Promise<Measured> {
    this.publishing = true;
    this.refill();
    const window = await measureWindow(this.job.warmupMs, this.job.measureMs, () => this.deliveries());
    const deliveriesPerSecond = window.counted / window.seconds;
    return {
      seconds: window.seconds,
      generatorCpuPercent: window.generatorCpuPercent,
      deliveriesPerSecond,
      publishedPerSecond: deliveriesPerSecond / this.subscribers.length,
      mebibytesPerSecond: (deliveriesPerSecond * this.job.payloadSize) / 1048576,
    };
  }

  async finish(): Promise<Check> {
    this.publishing = false;
    const expectedEach = this.published * this.reply.length;
    const drained = await waitUntil(() => this.subscribers.every((s) => s.received >= expectedEach), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    let exact = true;
    let mismatches = 0;
    for (const subscriber of this.subscribers) {
      if (subscriber.received !== expectedEach) exact = false;
      mismatches += subscriber.verifier?.mismatches ?? 0;
      subscriber.socket.destroy();
    }
    this.publisher?.destroy();
    const bytesExpected = expectedEach * this.subscribers.length;
    const ok = drained && exact && mismatches === 0 && this.published > 0;
    return {
      ok,
      messagesSent: this.published,
      repliesCounted: Math.floor(this.deliveries()),
      bytesExpected,
      bytesReceived: this.subscriberBytes,
      mismatches,
      verified: this.job.verify,
      detail: ok
        ? `${this.published} messages reached all ${this.subscribers.length} subscribers`
        : `drained=${drained} exact=${exact} mismatches=${mismatches}`,
    };
  }
}
