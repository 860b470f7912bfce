// deflate: 4 KiB JSON-like text echoed with permessage-deflate (RFC 7692). The client offers
// client_no_context_takeover, so each client message is compressed on its own and one pre-compressed,
// pre-masked frame serves the whole run; the server compresses its replies as it likes (context
// takeover by default), so replies are counted by walking frame headers, and inflated only when verifying.
// The raw echo runs too, as the floor: it sends the client's frames back untouched (the upgrade request
// it echoes carries the offer, which the check below reads as accepted), so its memory is what a Node
// process holds for this traffic before any WebSocket or zlib work.
import type { Socket } from 'node:net';
import { constants, createInflateRaw, deflateRawSync } from 'node:zlib';
import { FrameWalker } from './frame-walker.js';
import { clientFrame, jsonPayload, repeatFrame } from './frames.js';
import type { Check, DeflateJob, LoadRun, Measured, Opened } from './load-job.js';
import { measureThroughput, waitUntil } from './measure-window.js';
import { openTimed } from './open-connection.js';

/** RFC 7692 section 7.2.1: the sender removes the 0x00 0x00 0xff 0xff a sync flush ends with. */
const syncTail = Buffer.from([0x00, 0x00, 0xff, 0xff]);

export function compressMessage(payload: Buffer): Buffer {
  const compressed = deflateRawSync(payload, { finishFlush: constants.Z_SYNC_FLUSH });
  if (!compressed.subarray(-4).equals(syncTail)) throw new Error('deflate output lacks the sync-flush tail');
  return compressed.subarray(0, -4);
}

/** Inflates a connection's replies in order with one shared window, as a client with context would. */
export async function inflateMessages(
  messages: { compressed: boolean; payload: Buffer }[],
): Promise<Buffer[]> {
  const inflater = createInflateRaw();
  const output: Buffer[] = [];
  try {
    for (const message of messages) {
      if (!message.compressed) {
        output.push(message.payload);
        continue;
      }
      const parts: Buffer[] = [];
      const collect = (part: Buffer): void => {
        parts.push(part);
      };
      inflater.on('data', collect);
      inflater.write(Buffer.concat([message.payload, syncTail]));
      await new Promise<void>((resolve) => inflater.flush(constants.Z_SYNC_FLUSH, () => resolve()));
      inflater.off('data', collect);
      output.push(Buffer.concat(parts));
    }
  } finally {
    inflater.close();
  }
  return output;
}

class DeflateConnection {
  completed = 0;
  sent = 0;
  readonly walker: FrameWalker;

  constructor(
    readonly socket: Socket,
    private readonly run: DeflateLoad,
    capture: number,
  ) {
    this.walker = new FrameWalker(capture);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
  }

  start(): void {
    this.sent = this.run.inFlight;
    this.socket.write(this.run.batch);
  }

  onData(chunk: Buffer): void {
    this.walker.feed(chunk);
    const fresh = this.walker.messages - this.completed;
    if (fresh === 0) return;
    this.completed = this.walker.messages;
    this.run.completed += fresh;
    if (!this.run.refilling) return;
    this.sent += fresh;
    this.socket.write(this.run.batch.subarray(0, fresh * this.run.frameSize));
  }
}

export class DeflateLoad implements LoadRun {
  readonly batch: Buffer;
  readonly frameSize: number;
  readonly inFlight: number;
  private readonly payload: Buffer;
  /** What the raw echo (the floor) sends back: our own frame's masked, compressed payload. */
  private readonly maskedPayload: Buffer;
  completed = 0;
  refilling = true;
  private connections: DeflateConnection[] = [];
  private negotiated = 0;

  constructor(private readonly job: DeflateJob) {
    this.payload = jsonPayload(job.payloadSize);
    const compressed = compressMessage(this.payload);
    const frame = clientFrame('text', compressed, true);
    this.maskedPayload = frame.subarray(frame.length - compressed.length);
    this.frameSize = frame.length;
    this.inFlight = job.inFlight;
    this.batch = repeatFrame(frame, job.inFlight);
  }

  async open(): Promise<Opened> {
    const job = this.job;
    const { opened, summary } = await openTimed(job.connections, () => ({
      host: job.host,
      port: job.port,
      deflate: true,
    }));
    for (const [index, connection] of opened.entries()) {
      if (/^sec-websocket-extensions:\s*permessage-deflate/im.test(connection.head)) this.negotiated++;
      const capture = job.verify && index === 0 ? 64 : 0;
      const deflate = new DeflateConnection(connection.socket, this, capture);
      if (connection.rest.length > 0) deflate.onData(connection.rest);
      this.connections.push(deflate);
    }
    if (this.negotiated !== opened.length) {
      for (const connection of opened) connection.socket.destroy();
      throw new Error(`permessage-deflate accepted on ${this.negotiated} of ${opened.length} connections`);
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
    await new Promise((resolve) => setTimeout(resolve, 20));
    let messagesSent = 0;
    let bytesReceived = 0;
    let exact = true;
    for (const connection of this.connections) {
      messagesSent += connection.sent;
      bytesReceived += connection.walker.bytes;
      if (connection.walker.messages !== connection.sent) exact = false;
      connection.socket.destroy();
    }
    let mismatches = 0;
    let inflated = 0;
    if (this.job.verify) {
      const captured = this.connections[0]?.walker.captured ?? [];
      const replies =
        this.job.replyFraming === 'verbatim'
          ? captured.map((message) => message.payload)
          : await inflateMessages(captured);
      const expected = this.job.replyFraming === 'verbatim' ? this.maskedPayload : this.payload;
      for (const message of replies) {
        inflated++;
        if (!message.equals(expected)) mismatches++;
      }
    }
    const ok = drained && exact && mismatches === 0 && messagesSent > 0 && (!this.job.verify || inflated > 0);
    return {
      ok,
      messagesSent,
      repliesCounted: this.completed,
      bytesExpected: -1,
      bytesReceived,
      mismatches,
      verified: this.job.verify,
      detail: ok
        ? `${messagesSent} compressed messages echoed${this.job.verify ? `, ${inflated} inflated and compared` : ''}`
        : `drained=${drained} exact=${exact} mismatches=${mismatches} inflated=${inflated}`,
    };
  }
}
