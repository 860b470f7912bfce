import type { ProtocolError } from '../errors.js';
import { CLOSE_NO_STATUS } from '../protocol/close-payload.js';
import type { Protocol } from '../protocol/protocol.js';
import type { CloseHandshake } from './close-handshake.js';
import type { ConnectionSettings } from './connection-settings.js';
import type { Inbound } from './inbound.js';
import type { ReadyState } from './message.js';
import type { Outbound } from './outbound.js';
import type { WriteQueue } from './write-queue.js';

/**
 * What the close lifecycle reads and changes in its connection (the connection's engine: no
 * closures). `closing` and `writeQueue` are made on first use.
 */
export interface ClosingConnection {
  readyState: ReadyState;
  readonly closing: CloseHandshake;
  readonly writeQueue: WriteQueue;
  readonly outbound: Outbound | null;
  readonly inbound: Inbound;
  readonly core: Protocol;
  readonly settings: ConnectionSettings;
  scheduleFlush(): void;
  flush(): void;
  terminate(): void;
  /** finish(): stop the heartbeat, end reading, reject waiters, leave the budget. */
  release(): void;
  /** finish(): call the server's close watcher, if any (after `closed` is resolved). */
  notifyClosed(): void;
}

// The close handshake from the connection's side (RFC 6455 section 7): starting it, failing the
// connection, the peer's Close, the close timer, and the transport ending under us.

/** Queue our Close after the data already queued (RFC 6455 7.1.2) and stop sending data. */
/** `code` undefined sends a Close frame without a body (reported as 1005, RFC 6455 7.1.5). */
export function startClosing(connection: ClosingConnection, code: number | undefined, reason: string): void {
  const queue = connection.writeQueue;
  // Validates code and reason (RFC 6455 7.4.1, 5.5.1: 123 bytes) and throws before any state change.
  const bytes = connection.core.frameClose(code, reason, queue.data);
  queue.commit(bytes, 'close');
  const close = connection.closing;
  close.sentCode = code ?? CLOSE_NO_STATUS;
  close.sentReason = reason;
  connection.readyState = 'closing';
  endOutgoing(connection);
  startCloseTimer(connection);
  connection.scheduleFlush();
}

/** Close with our own error code (backpressure policy, aborted stream, a listener threw): the backlog is dropped. */
export function failLocally(connection: ClosingConnection, code: number, reason: string): void {
  if (connection.readyState !== 'open') return;
  const close = connection.closing;
  close.fail(code, reason);
  close.unsentMessages += connection.writeQueue.dropData();
  startClosing(connection, code, reason);
  connection.inbound.end();
}

/** The peer's Close arrived (the core already queued the echo if one was due). */
export function closeFrameReceived(connection: ClosingConnection, code: number, reason: string): void {
  const close = connection.closing;
  close.received = true;
  close.code = code;
  close.reason = reason;
  if (connection.readyState === 'open') {
    close.remoteFirst = true;
    connection.readyState = 'closing';
  }
  endOutgoing(connection);
  connection.inbound.end();
  startCloseTimer(connection);
  if (connection.core.state === 'closed') {
    // A Close went each way (RFC 6455 7.1.1): the server closes TCP at once, the client waits for it.
    if (connection.settings.role === 'server') connection.writeQueue.endAfterFlush();
    connection.scheduleFlush();
  }
}

/**
 * RFC 6455 7.1.7: the core already queued its Close behind what was queued before the failure (the
 * replies to messages that arrived whole before the bad frame, as `ws` sends them too): send all of
 * it, then close TCP. Nothing can be queued after it, and the close timer bounds a peer that does
 * not read.
 */
export function protocolFailed(connection: ClosingConnection, error: ProtocolError): void {
  const close = connection.closing;
  close.fail(error.closeCode, error.message);
  const queue = connection.writeQueue;
  if (connection.readyState === 'open') connection.readyState = 'closing';
  endOutgoing(connection);
  connection.inbound.end();
  queue.endAfterFlush();
  startCloseTimer(connection);
  connection.scheduleFlush();
}

/** The peer will send nothing more; finish our side once the queue is out. */
export function transportEnded(connection: ClosingConnection): void {
  if (!connection.closing.received) connection.closing.noteAbnormal('connection ended without a close frame');
  connection.writeQueue.endAfterFlush();
  connection.flush();
}

export function transportClosed(connection: ClosingConnection, error: Error | undefined): void {
  const close = connection.closing;
  close.noteAbnormal(error ? error.message : close.received ? '' : 'connection closed without a close frame');
  finish(connection);
}

/** The transport is gone (or destroyed): settle everything and resolve `closed`, once. */
export function finish(connection: ClosingConnection): void {
  if (connection.readyState === 'closed') return;
  const close = connection.closing;
  const out = connection.outbound;
  if (out !== null) close.unsentMessages += out.queue.clear();
  endOutgoing(connection);
  connection.readyState = 'closed';
  if (close.timer !== null) connection.settings.clock.clearTimeout(close.timer);
  close.timer = null;
  const info = close.currentInfo(connection.core.closeSent);
  close.info = info;
  connection.release();
  close.resolve?.(info);
  close.resolve = null;
  connection.notifyClosed();
}

/** No more data frames can be sent: fail waiting stream writers and deferred messages. */
export function endOutgoing(connection: ClosingConnection): void {
  const unsent = connection.outbound?.endStreams() ?? 0;
  if (unsent > 0) connection.closing.unsentMessages += unsent;
}

/** Bound the handshake and then the TCP close by closeTimeout; past it the transport is destroyed. */
function startCloseTimer(connection: ClosingConnection): void {
  const close = connection.closing;
  if (close.timer !== null || connection.readyState === 'closed') return;
  const settings = connection.settings;
  close.timer = settings.clock.setTimeout(() => {
    close.timer = null;
    if (!close.received) close.noteAbnormal('close handshake timed out');
    connection.terminate();
  }, settings.closeTimeout);
}
