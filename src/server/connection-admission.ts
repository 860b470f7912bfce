// Whether an accepted handshake may become one more connection (maxConnections, the memory budget),
// and the options every connection of the server shares.
import type { Connection } from '../connection/connection.js';
import type { ConnectionOptions } from '../connection/connection-options.js';
import type { BusyAnswers } from './handshake-answers.js';
import type { HandshakeSettings } from './handshake-settings.js';
import type { ServerStats } from './server-options.js';

export class ConnectionAdmission {
  readonly #settings: HandshakeSettings;
  readonly #stats: ServerStats;
  readonly #connections: ReadonlySet<Connection>;
  readonly #busy: BusyAnswers;
  #sharedConnectionOptions: ConnectionOptions | undefined;
  /** One function per server, called for each connection the budget sheds to admit a new one. */
  readonly #onShed = (connection: Connection, code: number, reason: string): void =>
    this.#settings.observer.budgetShed(connection, code, reason, 'admission');

  constructor(
    settings: HandshakeSettings,
    stats: ServerStats,
    connections: ReadonlySet<Connection>,
    busy: BusyAnswers,
  ) {
    this.#settings = settings;
    this.#stats = stats;
    this.#connections = connections;
    this.#busy = busy;
  }

  /**
   * The 503 answer when a new connection must wait, or undefined to go on. Over the memory budget,
   * the connections over their own bound are shed first (1013); only if that does not bring the
   * total under the budget is the upgrade refused.
   */
  check(): string | undefined {
    const stats = this.#stats;
    if (this.#connections.size >= this.#settings.maxConnections) {
      stats.overConnectionLimit++;
      return this.#busy.connections;
    }
    const budget = this.#settings.budget;
    if (budget?.exceeded) {
      const own = this.#settings.ownBudget;
      if (own !== null) stats.shedForMemory += own.shedOverBound(this.#connections, this.#onShed);
      if (budget.exceeded) {
        stats.overMemoryBudget++;
        return this.#busy.memory;
      }
    }
    return undefined;
  }

  /** What every connection of this server shares, merged once (the first upgrade) rather than per upgrade. */
  connectionOptions(): ConnectionOptions {
    const options = this.#settings.options;
    this.#sharedConnectionOptions ??= {
      ...options.connection,
      ...(options.maxPayload === undefined ? {} : { maxPayload: options.maxPayload }),
      budget: this.#settings.budget,
      observer: this.#settings.observer,
      role: 'server',
    };
    return this.#sharedConnectionOptions;
  }
}
