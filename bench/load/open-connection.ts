// Opening a WebSocket from a bare `net` socket: write one fixed upgrade request, skip the response head
// up to its blank line, hand over any bytes that followed it. No HTTP parser, no key check: the load
// generator must cost the server-side measurement nothing. (Against the raw echo the "response" is the
// request itself coming back, which ends in the same blank line.)
import { connect, type Socket } from 'node:net';

const headEnd = Buffer.from('\r\n\r\n');

import type { Opened } from './load-job.js';

export interface OpenedConnection {
  socket: Socket;
  /** The response head, without its blank line. */
  head: string;
  /** Bytes that arrived after the head (the first frames). */
  rest: Buffer;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /**
   * Offer permessage-deflate: `true` promises to compress each message on its own
   * (client_no_context_takeover); 'browser' offers what Chromium and Firefox do.
   */
  deflate?: boolean | 'browser';
  /** Source address on loopback (127.0.0.x), to get past one address's ephemeral ports. */
  localAddress?: string;
  /** Request path (default '/'). */
  path?: string;
}

export function upgradeRequest(options: ConnectOptions): Buffer {
  const lines = [
    `GET ${options.path ?? '/'} HTTP/1.1`,
    `Host: ${options.host}:${options.port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    // RFC 6455 section 4.1: a 16-byte value, base64. A fixed one is fine: the server echoes its hash.
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
  ];
  // RFC 7692 section 7.1.1.1: client_no_context_takeover lets every client message be compressed alone,
  // so one pre-compressed frame serves the whole run.
  if (options.deflate === true)
    lines.push('Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover');
  // What a browser sends: the server may keep its context and choose the client's window size.
  else if (options.deflate === 'browser')
    lines.push('Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
}

/** Connects and completes the opening handshake; rejects on error, close, or `timeoutMs`. */
export function openConnection(
  options: ConnectOptions,
  request: Buffer,
  timeoutMs = 10_000,
): Promise<OpenedConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: options.host,
      port: options.port,
      noDelay: true,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
    });
    let received: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`handshake timed out after ${timeoutMs} ms`)), timeoutMs);
    function cleanup(): void {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onClose);
    }
    function fail(error: Error): void {
      cleanup();
      socket.destroy();
      reject(error);
    }
    function onClose(): void {
      fail(new Error('closed during the handshake'));
    }
    function onData(chunk: Buffer): void {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const end = received.indexOf(headEnd);
      if (end === -1) return;
      cleanup();
      resolve({ socket, head: received.toString('latin1', 0, end), rest: received.subarray(end + 4) });
    }
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onClose);
    socket.write(request);
  });
}

/**
 * Opens `count` connections keeping at most `concurrency` handshakes pending (a burst of thousands of
 * SYNs would overflow the listen backlog and measure retransmits). Returns them in order.
 */
export async function openConnections(
  count: number,
  concurrency: number,
  optionsFor: (index: number) => ConnectOptions,
): Promise<OpenedConnection[]> {
  const opened: OpenedConnection[] = new Array(count);
  let next = 0;
  let failed = false;
  async function worker(): Promise<void> {
    while (next < count && !failed) {
      const index = next++;
      const options = optionsFor(index);
      try {
        opened[index] = await openConnection(options, upgradeRequest(options));
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  }
  const workers: Promise<void>[] = [];
  for (let index = 0; index < Math.min(concurrency, count); index++) workers.push(worker());
  const outcomes = await Promise.allSettled(workers);
  const rejected = outcomes.find((outcome) => outcome.status === 'rejected');
  if (rejected !== undefined) {
    for (const connection of opened) connection?.socket.destroy();
    throw (rejected as PromiseRejectedResult).reason;
  }
  return opened;
}

/** openConnections() with the handshake rate it achieved, as every load run reports it. */
export async function openTimed(
  count: number,
  optionsFor: (index: number) => ConnectOptions,
  concurrency = 64,
): Promise<{ opened: OpenedConnection[]; summary: Opened }> {
  const started = performance.now();
  const opened = await openConnections(count, concurrency, optionsFor);
  const seconds = (performance.now() - started) / 1000;
  return {
    opened,
    summary: {
      connections: opened.length,
      handshakeSeconds: seconds,
      handshakesPerSecond: opened.length / seconds,
    },
  };
}
