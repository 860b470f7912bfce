// idle: open many connections (handshakes/s while opening), then hold them silent while the harness
// reads the server's memory, then close them. Source addresses rotate over 127.0.0.x so more than one
// address's ephemeral ports can be used.
// idle-deflate: the same, with a browser's permessage-deflate offer; on `go` every connection sends one
// pre-compressed text message (RSV1 set) and waits for its echo, so the harness can read the server's
// memory again once each connection has used its zlib contexts and gone idle.
import type { Socket } from 'node:net';
import { compressMessage, inflateMessages } from './deflate-load.js';
import { FrameWalker } from './frame-walker.js';
import { clientFrame, jsonPayload } from './frames.js';
import type { Check, IdleJob, LoadRun, Measured, Opened } from './load-job.js';
import { waitUntil } from './measure-window.js';
import { openConnections } from './open-connection.js';

const acceptsDeflate = /^sec-websocket-extensions:\s*permessage-deflate/im;

export class IdleLoad implements LoadRun {
  private sockets: Socket[] = [];
  /** One per connection when messages are exchanged; they also see anything sent before `go`. */
  private walkers: FrameWalker[] = [];
  private unexpectedBytes = 0;
  private closedEarly = 0;
  private badHeads = 0;
  private negotiated = 0;
  private readonly payload: Buffer | null = null;
  private readonly frame: Buffer | null = null;
  private messagesBeforeGo = 0;
  private exchanged = 0;

  constructor(private readonly job: IdleJob) {
    const size = job.exchangeSize ?? 0;
    if (size > 0) {
      this.payload = jsonPayload(size);
      // RFC 7692 7.2.3.1: the first message of a context inflates alone, so no client context is needed.
      this.frame = clientFrame('text', compressMessage(this.payload), true);
    }
  }

  async open(): Promise<Opened> {
    const job = this.job;
    const addresses = job.localAddresses;
    const started = performance.now();
    const opened = await openConnections(job.connections, job.concurrency, (index) => ({
      host: job.host,
      port: job.port,
      ...(job.deflate === true ? { deflate: 'browser' as const } : {}),
      // One source address: let connect() pick the port. Binding first (localAddress) makes the
      // kernel search for a free port on every connect, which capped every server near 1,700/s here.
      ...(addresses.length > 1 ? { localAddress: addresses[index % addresses.length] } : {}),
    }));
    const seconds = (performance.now() - started) / 1000;
    const expectedStart = job.replyFraming === 'websocket' ? 'HTTP/1.1 101' : 'GET ';
    for (const [index, connection] of opened.entries()) {
      if (!connection.head.startsWith(expectedStart)) this.badHeads++;
      // The raw echo returns the request itself, offer included: that is no acceptance.
      if (job.replyFraming === 'websocket' && acceptsDeflate.test(connection.head)) this.negotiated++;
      connection.socket.on('error', () => {});
      connection.socket.on('close', () => {
        this.closedEarly++;
      });
      if (this.frame !== null) {
        const walker = new FrameWalker(job.verify && index === 0 ? 1 : 0);
        this.walkers.push(walker);
        if (connection.rest.length > 0) walker.feed(connection.rest);
        connection.socket.on('data', (chunk: Buffer) => {
          const before = walker.messages;
          walker.feed(chunk);
          if (before === 0 && walker.messages > 0) this.exchanged++;
        });
      } else {
        this.unexpectedBytes += connection.rest.length;
        connection.socket.on('data', (chunk: Buffer) => {
          this.unexpectedBytes += chunk.length;
        });
      }
      this.sockets.push(connection.socket);
    }
    return {
      connections: opened.length,
      handshakeSeconds: seconds,
      handshakesPerSecond: opened.length / seconds,
      negotiated: this.negotiated,
      sampleHead: opened[0]?.head ?? '',
    };
  }

  async go(): Promise<Measured> {
    const frame = this.frame;
    if (frame === null) return { seconds: 0 };
    // Anything that arrived before this point was not asked for.
    this.messagesBeforeGo = this.exchanged;
    this.exchanged = 0;
    for (const walker of this.walkers) walker.messages = 0;
    const started = performance.now();
    for (const socket of this.sockets) socket.write(frame);
    await waitUntil(() => this.exchanged === this.sockets.length, 120_000);
    return { seconds: (performance.now() - started) / 1000, exchanged: this.exchanged };
  }

  async finish(): Promise<Check> {
    const closedEarly = this.closedEarly;
    let bytesReceived = this.unexpectedBytes;
    let exact = true;
    for (const walker of this.walkers) {
      bytesReceived += walker.bytes;
      if (walker.messages !== 1) exact = false;
    }
    for (const socket of this.sockets) {
      socket.removeAllListeners('close');
      // RST rather than FIN: a FIN from this side leaves each local port in TIME_WAIT for 60 s, and
      // 10,000 per server soon exhaust the ephemeral range (28,232 ports here), which made connect()
      // slow (then EADDRINUSE) for whichever server ran next and charged it as slow handshakes.
      socket.resetAndDestroy();
    }
    const exchanging = this.frame !== null;
    const verbatim = this.job.replyFraming === 'verbatim';
    // The raw echo returns the client's own frame, so its reply bytes are known exactly.
    const bytesExpected = exchanging && verbatim ? this.sockets.length * (this.frame as Buffer).length : -1;
    const negotiatedOk = this.job.deflate !== true || verbatim || this.negotiated === this.sockets.length;
    let mismatches = this.badHeads;
    let inflated = 0;
    if (exchanging && this.job.verify && !verbatim && this.payload !== null) {
      for (const message of await inflateMessages(this.walkers[0]?.captured ?? [])) {
        inflated++;
        if (!message.equals(this.payload)) mismatches++;
      }
      if (inflated === 0) mismatches++;
    }
    const ok =
      closedEarly === 0 &&
      this.badHeads === 0 &&
      this.unexpectedBytes === 0 &&
      this.messagesBeforeGo === 0 &&
      negotiatedOk &&
      mismatches === 0 &&
      (!exchanging || (exact && this.exchanged === this.sockets.length)) &&
      (bytesExpected < 0 || bytesReceived === bytesExpected);
    const what = exchanging
      ? `${this.exchanged} of ${this.sockets.length} connections echoed one compressed message${inflated > 0 ? ` (${inflated} inflated and compared)` : ''}`
      : `${this.sockets.length} connections opened and held`;
    return {
      ok,
      messagesSent: exchanging ? this.sockets.length : 0,
      repliesCounted: exchanging ? this.exchanged : this.sockets.length,
      bytesExpected: exchanging ? bytesExpected : 0,
      bytesReceived,
      mismatches,
      verified: true,
      detail: ok
        ? what
        : `${what}; closedEarly=${closedEarly} badHeads=${this.badHeads} unexpectedBytes=${this.unexpectedBytes} messagesBeforeGo=${this.messagesBeforeGo} negotiated=${this.negotiated} exact=${exact} mismatches=${mismatches}`,
    };
  }
}
