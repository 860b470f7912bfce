// idle: open many connections (handshakes/s while opening), then hold them silent while the harness
// reads the server's memory, then close them. Source addresses rotate over 127.0.0.x so more than one
// address's ephemeral ports can be used.
import type { Socket } from 'node:net';
import type { Check, IdleJob, LoadRun, Measured, Opened } from './load-job.js';
import { openConnections } from './open-connection.js';

export class IdleLoad implements LoadRun {
  private sockets: Socket[] = [];
  private unexpectedBytes = 0;
  private closedEarly = 0;
  private badHeads = 0;

  constructor(private readonly job: IdleJob) {}

  async open(): Promise<Opened> {
    const job = this.job;
    const addresses = job.localAddresses;
    const started = performance.now();
    const opened = await openConnections(job.connections, job.concurrency, (index) => ({
      host: job.host,
      port: job.port,
      // One source address: let connect() pick the port. Binding first (localAddress) makes the
      // kernel search for a free port on every connect, which capped every server near 1,700/s here.
      ...(addresses.length > 1 ? { localAddress: addresses[index % addresses.length] } : {}),
    }));
    const seconds = (performance.now() - started) / 1000;
    const expectedStart = job.replyFraming === 'websocket' ? 'HTTP/1.1 101' : 'GET ';
    for (const connection of opened) {
      if (!connection.head.startsWith(expectedStart)) this.badHeads++;
      this.unexpectedBytes += connection.rest.length;
      connection.socket.on('data', (chunk: Buffer) => {
        this.unexpectedBytes += chunk.length;
      });
      connection.socket.on('error', () => {});
      connection.socket.on('close', () => {
        this.closedEarly++;
      });
      this.sockets.push(connection.socket);
    }
    return {
      connections: opened.length,
      handshakeSeconds: seconds,
      handshakesPerSecond: opened.length / seconds,
    };
  }

  async go(): Promise<Measured> {
    return { seconds: 0 };
  }

  async finish(): Promise<Check> {
    const closedEarly = this.closedEarly;
    for (const socket of this.sockets) {
      socket.removeAllListeners('close');
      // RST rather than FIN: a FIN from this side leaves each local port in TIME_WAIT for 60 s, and
      // 10,000 per server soon exhaust the ephemeral range (28,232 ports here), which made connect()
      // slow (then EADDRINUSE) for whichever server ran next and charged it as slow handshakes.
      socket.resetAndDestroy();
    }
    const ok = closedEarly === 0 && this.badHeads === 0 && this.unexpectedBytes === 0;
    return {
      ok,
      messagesSent: 0,
      repliesCounted: this.sockets.length,
      bytesExpected: 0,
      bytesReceived: this.unexpectedBytes,
      mismatches: this.badHeads,
      verified: true,
      detail: ok
        ? `${this.sockets.length} connections opened and held`
        : `closedEarly=${closedEarly} badHeads=${this.badHeads} unexpectedBytes=${this.unexpectedBytes}`,
    };
  }
}
