// What a server's handshakes share: the settings it decides once, and the record of one socket
// between accept and 101.

import type { Duplex } from 'node:stream';
import type { BufferBudget } from '../connection/buffer-budget.js';
import type { AdmissionLimits, PendingEntry } from './admission-table.js';
import type { ServerMemoryBudget } from './server-memory-budget.js';
import type { ServerObserver } from './server-metrics.js';
import type { WebSocketServerOptions } from './server-options.js';

/** A socket between accept and 101. */
export interface PendingHandshake {
  /** The socket to answer on: for wss:// the TCP socket while in TLS, then the TLSSocket. */
  socket: Duplex;
  entry: PendingEntry<PendingHandshake> | undefined;
  /** Set once the 101 or a refusal was written, or the socket was given up: no deadline applies. */
  answered: boolean;
  /** Stops the request-head reader of `listen` (a no-op once the head is read). */
  stopReading: () => void;
  /** Removes our socket listeners when the socket is handed on. */
  detach: () => void;
}

/** What a server decides once, in its constructor, and shares with its handshakes. */
export interface HandshakeSettings {
  readonly options: WebSocketServerOptions;
  readonly limits: AdmissionLimits;
  readonly maxConnections: number;
  /** The budget every connection shares (ours, or the one given in `connection.budget`), or null. */
  readonly budget: BufferBudget | null;
  /** Set when the budget is ours: it can then shed connections over their own bound. */
  readonly ownBudget: ServerMemoryBudget | null;
  readonly retryAfter: number;
  /** Counts for server.metrics() and publishes the diagnostics events of the connections. */
  readonly observer: ServerObserver;
}
