import { broadcast } from '../connection/broadcast.js';
import type { Connection } from '../connection/connection.js';
import { prepareMessage } from '../connection/prepared-message.js';
import type { AuthorizeResult, HandshakeRequest, WebSocketServerOptions } from '../server/server-options.js';
import type { Hub } from './hub.js';
import { HubSession } from './hub-session.js';
import { HUB_SUBPROTOCOL, PING_FRAME } from './hub-wire.js';
import { PLAIN_TOPIC_PREFIX, PlainSession } from './plain-session.js';
import { topicNameProblem } from './topic-name.js';

/**
 * Serves a hub to WebSocket clients: hub-protocol clients (subprotocol `fullduplex.hub.v1`, any path)
 * and plain clients on `/topics/NAME`. Give `serverOptions()` to a WebSocketServer, or call `accept`
 * with connections you upgraded yourself. Sends the hub protocol's application-level pings.
 */
export class HubEndpoint {
  readonly hub: Hub;
  readonly #sessions = new Set<Connection>();
  #pingTimer: NodeJS.Timeout | undefined;

  constructor(hub: Hub) {
    this.hub = hub;
    if (hub.pingInterval > 0) {
      this.#pingTimer = setInterval(() => this.#ping(), hub.pingInterval);
      this.#pingTimer.unref();
    }
  }

  /**
   * The WebSocketServer options that route upgrades here: the hub subprotocol is chosen when offered;
   * without it, only `/topics/NAME` with a valid NAME is upgraded (else 404 or 400).
   */
  serverOptions(): Pick<
    WebSocketServerOptions,
    'subprotocols' | 'authorize' | 'onConnection' | 'hubFigures'
  > {
    return {
      hubFigures: () => this.hub.figures(),
      subprotocols: [HUB_SUBPROTOCOL],
      authorize: (request) => this.authorize(request),
      onConnection: (connection) => this.accept(connection),
    };
  }

  /** Refuses an upgrade this endpoint would not serve (see serverOptions). */
  authorize(request: HandshakeRequest): AuthorizeResult {
    const offered = String(request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((token) => token.trim());
    if (offered.includes(HUB_SUBPROTOCOL)) return true;
    const topic = plainTopic(request.url);
    if (topic === undefined) {
      return {
        status: 404,
        body: `connect to ${PLAIN_TOPIC_PREFIX}NAME, or offer the ${HUB_SUBPROTOCOL} subprotocol\n`,
      };
    }
    const problem = topicNameProblem(topic);
    return problem ? { status: 400, body: `${problem}\n` } : true;
  }

  /** Serve one upgraded connection: the hub protocol if it was negotiated, else the plain endpoint. */
  accept(connection: Connection): void {
    if (connection.protocol === HUB_SUBPROTOCOL) {
      this.#sessions.add(connection);
      void connection.closed.then(() => this.#sessions.delete(connection));
      new HubSession(this.hub, connection);
      return;
    }
    const topic = plainTopic(connection.request?.url ?? '');
    if (topic === undefined || topicNameProblem(topic)) {
      connection.close(1008, 'not a hub endpoint');
      return;
    }
    new PlainSession(this.hub, connection, topic);
  }

  /** Stop the pings (the hub and its connections are closed by their owners). */
  close(): void {
    clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  #ping(): void {
    if (this.#sessions.size > 0)
      broadcast(this.#sessions, prepareMessage(PING_FRAME), { backpressure: 'drop-newest' });
  }
}

/** NAME from `/topics/NAME` (percent-decoded, query ignored), or undefined for another path. */
export function plainTopic(url: string): string | undefined {
  const path = url.split('?', 1)[0] as string;
  if (!path.startsWith(PLAIN_TOPIC_PREFIX)) return undefined;
  try {
    return decodeURIComponent(path.slice(PLAIN_TOPIC_PREFIX.length));
  } catch {
    return '';
  }
}
