// The hand-over of an accepted handshake: the 101 on the socket, the Connection over it, the server's
// set of open connections (with the watcher that takes a closed one out) and onConnection.

import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isThenable } from '../callback-errors.js';
import { Connection } from '../connection/connection.js';
import { closedByOf, closeInfoOf, shedConnection, watchClosed } from '../connection/connection-internals.js';
import type { ConnectionOptions, UpgradeRequestInfo } from '../connection/connection-options.js';
import type { CloseInfo } from '../connection/message.js';
import { SocketTransport } from '../node/socket-transport.js';
import type { ConnectionAdmission } from './connection-admission.js';
import { publishClose, publishOpen } from './diagnostics.js';
import type { HandshakeSettings } from './handshake-settings.js';
import type { NegotiableRequest, UpgradeDecision } from './negotiate-upgrade.js';
import { RetainedRequest } from './retained-request.js';
import type { ServerStats } from './server-options.js';

type Accepted = Extract<UpgradeDecision, { kind: 'accept' }>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * One upgrade's options: its own few values over the server's shared options (their prototype),
 * rather than a copy of every server-wide option per handshake, which was garbage the moment the
 * connection was built (and a spread followed by more properties takes a slow path in V8). In a
 * micro-benchmark, 5-23 ns against 210-260 ns for the Object.assign copy, on a loaded machine.
 */
function upgradeOptions(
  shared: ConnectionOptions,
  decision: Accepted,
  request: UpgradeRequestInfo,
  head: Buffer,
): ConnectionOptions {
  const options = Object.create(shared) as Mutable<ConnectionOptions>;
  options.protocol = decision.protocol;
  options.extensions = decision.extensions;
  options.extension = decision.extension;
  options.request = request;
  options.head = head;
  return options;
}

/** Opens the connections of one server and keeps its set of open ones. */
export class ServerConnections {
  readonly #settings: HandshakeSettings;
  readonly #stats: ServerStats;
  readonly #connections: Set<Connection>;
  readonly #admission: ConnectionAdmission;
  /** A hook threw or rejected: to onError (or a process warning); never thrown. */
  readonly #hookFailed: (error: unknown) => void;
  /** A failed upgrade: to onError. */
  readonly #report: (error: Error) => void;
  /** Takes a closed connection out of the set: one function per server, not a closure per connection. */
  readonly #forgetConnection = (connection: Connection): void => {
    this.#connections.delete(connection);
    const info = closeInfoOf(connection) as CloseInfo;
    const closedBy = closedByOf(connection);
    this.#settings.observer.closed(connection, info, closedBy);
    publishClose(connection, info, closedBy);
  };

  constructor(
    settings: HandshakeSettings,
    stats: ServerStats,
    connections: Set<Connection>,
    admission: ConnectionAdmission,
    hookFailed: (error: unknown) => void,
    report: (error: Error) => void,
  ) {
    this.#settings = settings;
    this.#stats = stats;
    this.#connections = connections;
    this.#admission = admission;
    this.#hookFailed = hookFailed;
    this.#report = report;
  }

  /**
   * Writes the 101 and makes the Connection; undefined (the socket destroyed, the error reported)
   * when that failed. `headText`: the head as we read it ourselves, which the connection keeps rather
   * than the parsed request.
   */
  open(
    socket: Duplex,
    decision: Accepted,
    request: NegotiableRequest,
    head: Buffer,
    headText: string | undefined,
  ): Connection | undefined {
    let connection: Connection;
    try {
      socket.write(decision.response, 'latin1');
      const transport = new SocketTransport(socket as Socket);
      connection = new Connection(
        transport,
        upgradeOptions(
          this.#admission.connectionOptions(),
          decision,
          headText === undefined ? request : new RetainedRequest(headText, socket as Socket, request.secure),
          head,
        ),
      );
    } catch (error) {
      decision.extension?.dispose();
      this.#report(error as Error);
      socket.destroy();
      return undefined;
    }
    this.#stats.upgrades++;
    this.#settings.observer.opened();
    this.#connections.add(connection);
    watchClosed(connection, this.#forgetConnection);
    publishOpen(connection);
    const onConnection = this.#settings.options.onConnection;
    if (onConnection !== undefined) {
      let result: unknown;
      try {
        result = onConnection(connection);
      } catch (error) {
        this.#connectionHookFailed(connection, error);
        return connection;
      }
      // An async onConnection (a `for await` loop, say) is observed: its rejection fails only this connection.
      if (isThenable(result))
        result.then(undefined, (error) => this.#connectionHookFailed(connection, error));
    }
    return connection;
  }

  /** onConnection threw or rejected: close that one connection with 1011 and report the error. */
  #connectionHookFailed(connection: Connection, error: unknown): void {
    shedConnection(connection, 1011, 'internal error');
    this.#hookFailed(error);
  }
}
