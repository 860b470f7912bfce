import cluster from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { broadcast } from '../../connection/broadcast.js';
import type { Connection } from '../../connection/connection.js';
import { prepareMessage } from '../../connection/prepared-message.js';
import type { MessageType } from '../../protocol/types.js';
import { WebSocketServer } from '../../server/web-socket-server.js';
import type { Command } from '../command.js';
import { integerFlag, optionalStringFlag, type ParsedFlags, stringFlag, UsageError } from '../flags.js';
import { packageRoot } from '../package-root.js';
import { Logger, type LogLevel, logFormat, logServerEvents } from '../serve/log.js';
import type { MetricsEndpoint } from '../serve/metrics-endpoint.js';
import type { ClientModules } from './client-modules.js';
import { serveFlags } from './serve-flags.js';
import { announceListening, onShutdownNotice, runWorkers } from './serve-workers.js';

/** `fullduplex serve`: resolves the exit code once the server has shut down. */
export const serveCommand: Command = {
  usage: `Usage: fullduplex serve [options]

Runs a WebSocket server on any path. It prints 'listening ws://H:P/' as its first line and shuts down
gracefully (close 1001 to every client) on SIGINT or SIGTERM, then exits 0. It binds 127.0.0.1 unless
--host says otherwise: in a container, pass --host 0.0.0.0 to accept connections from outside.
With --mode hub it serves topics: a plain client on /topics/NAME gets every message published there
and publishes what it sends; hub-protocol clients (subprotocol fullduplex.hub.v1) use any path. A hub
also answers HTTP GET under /client/ with the hub client's ES modules (import '/client/index.js').`,
  flags: serveFlags,
  positionals: 0,
  run: serve,
};

type Mode = 'echo' | 'broadcast' | 'hub';

// Send options shared by every echo (no object per message).
const BINARY = { binary: true } as const;
const TEXT = { binary: false } as const;

async function serve(flags: ParsedFlags): Promise<number> {
  try {
    return await serveUntilStopped(flags);
  } finally {
    // A worker's IPC channel to the primary would keep it alive after the server closed.
    if (cluster.isWorker) cluster.worker?.disconnect();
  }
}

async function serveUntilStopped(flags: ParsedFlags): Promise<number> {
  const mode = stringFlag(flags, 'mode') as Mode;
  const host = stringFlag(flags, 'host');
  const port = integerFlag(flags, 'port');
  const tls = await readTlsFiles(flags);
  const maxConnections = integerFlag(flags, 'max-connections');
  const maxPendingHandshakes = integerFlag(flags, 'max-pending-handshakes');
  const maxPerAddress = integerFlag(flags, 'max-pending-handshakes-per-address');
  const pingInterval = integerFlag(flags, 'ping-interval');
  const shutdownTimeout = integerFlag(flags, 'shutdown-timeout');

  const metricsPort = flags['metrics-port'] === undefined ? undefined : integerFlag(flags, 'metrics-port');
  const logger = new Logger(
    stringFlag(flags, 'log-level') as LogLevel,
    logFormat(stringFlag(flags, 'log-format'), process.stderr),
    (line) => process.stderr.write(line),
  );

  const workers = integerFlag(flags, 'workers');
  if (workers > 1 && metricsPort !== undefined) {
    // Each worker has its own figures; one port shared by cluster would answer with a random one's.
    throw new UsageError('--metrics-port works with one process only: run without --workers N > 1');
  }
  if (workers > 1 && cluster.isPrimary) {
    // Broadcast mode has no broker: a message would reach only its sender's worker.
    if (mode === 'broadcast') {
      throw new UsageError('--workers needs --mode echo or --mode hub (a broadcast stays in one worker)');
    }
    if (mode === 'hub' && optionalStringFlag(flags, 'redis') === undefined) {
      throw new UsageError('--workers N > 1 needs --redis: workers share topics only through Redis');
    }
    return runWorkers(workers, shutdownTimeout);
  }

  // The hub, its client modules and the metrics endpoint are loaded only when used: an echo or
  // broadcast server does not carry their code (about 1 MiB of RSS at start).
  const hub = mode === 'hub' ? await (await import('./serve-hub.js')).serveHub(flags, logger) : undefined;
  const stopLogging = logServerEvents(logger);
  const clientModules = mode === 'hub' ? await loadClientModules() : undefined;
  const server = new WebSocketServer({
    onConnection: (connection) => relay.add(connection),
    onError: (error) => logger.log('error', 'server.error', String((error as Error)?.message ?? error)),
    ...hub?.serverOptions,
    ...(clientModules
      ? { onPlainRequest: (request) => clientModules.answer(request.method, request.url) }
      : {}),
    // Our compressor resets per message (RFC 7692 7.1.1.1, which a server may impose), so it borrows a
    // pooled zlib context per message instead of holding ~260 KiB per connection for its lifetime.
    perMessageDeflate: flags.compress === true ? { serverNoContextTakeover: true } : false,
    maxPayload: integerFlag(flags, 'max-payload'),
    handshakeTimeout: integerFlag(flags, 'handshake-timeout'),
    firstByteTimeout: integerFlag(flags, 'first-byte-timeout'),
    maxHeaderBytes: integerFlag(flags, 'max-header-bytes'),
    // 0 means no limit; past a limit the server answers 503 with Retry-After.
    maxConnections: maxConnections > 0 ? maxConnections : Number.POSITIVE_INFINITY,
    maxPendingHandshakes: maxPendingHandshakes > 0 ? maxPendingHandshakes : Number.POSITIVE_INFINITY,
    maxPendingHandshakesPerAddress: maxPerAddress > 0 ? maxPerAddress : Number.POSITIVE_INFINITY,
    memoryBudget: integerFlag(flags, 'memory-budget'),
    ...(tls ? { tls } : {}),
    connection: {
      ...(integerFlag(flags, 'max-fragments') > 0
        ? { maxFragments: integerFlag(flags, 'max-fragments') }
        : {}),
      ...(integerFlag(flags, 'max-frame-size') > 0
        ? { maxFrameSize: integerFlag(flags, 'max-frame-size') }
        : {}),
      closeTimeout: integerFlag(flags, 'close-timeout'),
      maxBufferedBytes: integerFlag(flags, 'max-buffered-bytes'),
      heartbeat: pingInterval > 0 ? { pingInterval, pongTimeout: integerFlag(flags, 'pong-timeout') } : null,
    },
  });
  const relay = new Relay(mode, server.connections);

  const address = flags.page
    ? await listenWithPage(server, port, host, tls, clientModules)
    : await server.listen(port, host);
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const authority = `${host === 'localhost' ? host : shownHost}:${address.port}`;
  const lines = [`listening ${tls ? 'wss' : 'ws'}://${authority}/`];
  if (flags.page) lines.push(`open ${tls ? 'https' : 'http'}://${authority}/ in a browser`);
  let metrics: MetricsEndpoint | undefined;
  if (metricsPort !== undefined) {
    const { serveMetrics } = await import('../serve/metrics-endpoint.js');
    metrics = await serveMetrics(server, metricsPort, stringFlag(flags, 'metrics-host'));
    lines.push(`metrics ${metrics.url}`);
  }
  // Listening for the stop signals before saying we listen: a script may send one right after.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      stopNotice();
      resolve();
    };
    const stopNotice = cluster.isWorker ? onShutdownNotice(stop) : () => {};
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // A worker of `--workers N` tells the primary, which prints the lines once for all of them.
  if (cluster.isWorker) announceListening(lines);
  else for (const line of lines) console.log(line);
  logger.log('info', 'server.listening', `listening on ${lines[0]?.slice('listening '.length)}`, {
    mode,
    metrics: metrics?.url,
  });
  await stopped;
  logger.log('info', 'server.stopping', 'shutting down: closing every connection with 1001', {
    connections: server.connections.size,
  });
  await server.close({ code: 1001, reason: 'server shutting down', timeout: shutdownTimeout });
  await hub?.close();
  await metrics?.close();
  stopLogging();
  logger.log('info', 'server.stopped', 'stopped');
  return 0;
}

/** The echo listener of every connection. */
function echo(this: Connection, data: Buffer, type: MessageType): void {
  if (this.readyState !== 'open') return;
  if (!this.send(data, type === 'binary' ? BINARY : TEXT)) {
    // Backpressure: a peer that sends without reading stops being read until its replies drain.
    // The drain listener is set here, so only connections that fill up hold one.
    this.pause();
    this.onDrain(resumeReading);
  }
}

/** The drain listener of an echo connection that filled up. */
function resumeReading(this: Connection): void {
  this.resume();
}

/** Echoes each message to its sender, or relays it to every client (the sender included). */
class Relay {
  readonly #mode: Mode;
  /** The server's own set of open connections: no bookkeeping of ours per connection. */
  readonly #connections: ReadonlySet<Connection>;
  /** Broadcast messages not sent to a client whose outgoing buffer was over its bound. */
  dropped = 0;

  constructor(mode: Mode, connections: ReadonlySet<Connection>) {
    this.#mode = mode;
    this.#connections = connections;
  }

  add(connection: Connection): void {
    // One function for every connection (`this` is the connection): no closure per connection.
    if (this.#mode === 'echo') connection.onRawMessage(echo);
    else connection.onRawMessage(this.#onBroadcast);
  }

  /** One listener for every connection in broadcast mode. */
  readonly #onBroadcast = (data: Buffer, type: MessageType): void => this.#broadcast(data, type);

  #broadcast(data: Buffer, type: MessageType): void {
    // Framed once: every uncompressed send queues the same frame Buffers. A slow consumer over its
    // bound does not get the message (drop-newest, counted) rather than queue without bound.
    const prepared = prepareMessage(data, { binary: type === 'binary' });
    this.dropped += broadcast(this.#connections, prepared, { backpressure: 'drop-newest' }).dropped;
  }
}

/** The hub client's modules for /client/; a hub without them still serves, and says why. */
async function loadClientModules(): Promise<ClientModules | undefined> {
  try {
    const { ClientModules } = await import('./client-modules.js');
    return await ClientModules.load();
  } catch (error) {
    console.error(`fullduplex: not serving /client/: ${(error as Error).message}`);
    return undefined;
  }
}

/** --tls-cert and --tls-key go together; both files are read before anything listens. */
async function readTlsFiles(flags: ParsedFlags): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  const certFile = optionalStringFlag(flags, 'tls-cert');
  const keyFile = optionalStringFlag(flags, 'tls-key');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new UsageError('--tls-cert and --tls-key go together: give both to serve wss://');
  }
  const { readFile } = await import('node:fs/promises');
  const read = (file: string, flag: string): Promise<Buffer> =>
    readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${flag} ${file}: ${error.code ?? error.message}`);
    });
  return { cert: await read(certFile, '--tls-cert'), key: await read(keyFile, '--tls-key') };
}

/** Serves the browser echo page on plain HTTP requests and upgrades the rest on the same port. */
async function listenWithPage(
  server: WebSocketServer,
  port: number,
  host: string,
  tls: { cert: Buffer; key: Buffer } | undefined,
  clientModules: ClientModules | undefined,
): Promise<AddressInfo> {
  // Loaded only with --page: a plain `serve` never needs node:http and its ~2 MiB of RSS.
  const [{ readFile }, { createServer }, https] = await Promise.all([
    import('node:fs/promises'),
    import('node:http'),
    tls ? import('node:https') : undefined,
  ]);
  const page = await readFile(join(packageRoot(), 'examples', 'echo', 'index.html'));
  const answer = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.method === 'GET' && (request.url === '/' || request.url === '/index.html')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': page.length });
      response.end(page);
      return;
    }
    const module = clientModules?.answer(request.method ?? '', request.url ?? '');
    if (module !== undefined) {
      response.writeHead(module.status, module.headers);
      response.end(request.method === 'HEAD' ? undefined : module.body);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  };
  const http = https && tls ? https.createServer(tls, answer) : createServer(answer);
  server.attach(http);
  const closeHttp = (): void => {
    http.close();
    http.closeAllConnections();
  };
  process.once('SIGINT', closeHttp);
  process.once('SIGTERM', closeHttp);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => resolve());
  });
  return http.address() as AddressInfo;
}
