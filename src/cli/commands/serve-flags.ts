import { DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_BUFFERED_BYTES } from '../../connection/connection-options.js';
import { DEFAULT_MAX_PAYLOAD } from '../../protocol/protocol.js';
import {
  DEFAULT_FIRST_BYTE_TIMEOUT,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  DEFAULT_MAX_PENDING_HANDSHAKES_PER_ADDRESS,
  DEFAULT_MEMORY_BUDGET,
} from '../../server/server-options.js';
import type { FlagTable } from '../flags.js';

/** `fullduplex serve` flags. Scripts outside the project drive this command line: keep it stable. */
export const serveFlags = {
  mode: {
    type: 'string',
    choices: ['echo', 'broadcast', 'hub'],
    default: 'echo',
    help: 'what to do with each message: echo it, relay it to every client, or run a topic hub (plain clients on /topics/NAME, hub-protocol clients anywhere)',
  },
  history: {
    type: 'integer',
    placeholder: 'N',
    default: 0,
    help: 'hub: publications kept per topic for history and recovery',
  },
  'history-ttl': {
    type: 'integer',
    placeholder: 'SECONDS',
    default: 300,
    min: 1,
    help: 'hub: how long a publication stays in history; an idle topic starts a new epoch after it',
  },
  'publish-rate': {
    type: 'integer',
    placeholder: 'N',
    default: 1000,
    help: 'hub: publications per second per connection (burst as many); 0 = no limit',
  },
  redis: {
    type: 'string',
    placeholder: 'URL',
    help: 'hub: share topics through Redis at redis://HOST:PORT (several processes or machines)',
  },
  presence: {
    type: 'boolean',
    default: false,
    help: 'hub: list the subscribers of each topic (across processes) and send join/leave frames',
  },
  'presence-ttl': {
    type: 'integer',
    placeholder: 'SECONDS',
    default: 15,
    min: 1,
    help: 'hub with --redis: a killed process leaves its presence entries this long at most',
  },
  workers: {
    type: 'integer',
    placeholder: 'N',
    default: 1,
    min: 1,
    help: 'echo or hub: worker processes on one port (node:cluster); a hub with more than 1 needs --redis',
  },
  host: {
    type: 'string',
    placeholder: 'H',
    default: '127.0.0.1',
    help: 'address to bind; the default takes local connections only (0.0.0.0 or :: for every interface, e.g. in a container)',
  },
  port: {
    type: 'integer',
    placeholder: 'P',
    default: 8080,
    max: 65535,
    help: 'port to bind; 0 picks a free one',
  },
  'tls-cert': {
    type: 'string',
    placeholder: 'FILE',
    help: 'PEM certificate chain: serve wss:// (needs --tls-key)',
  },
  'tls-key': { type: 'string', placeholder: 'FILE', help: 'PEM private key for --tls-cert' },
  compress: { type: 'boolean', default: false, help: 'accept permessage-deflate (RFC 7692) offers' },
  'max-payload': {
    type: 'integer',
    placeholder: 'BYTES',
    default: DEFAULT_MAX_PAYLOAD,
    help: 'largest message, after inflation; more closes with 1009',
  },
  'max-fragments': {
    type: 'integer',
    placeholder: 'N',
    default: 0,
    help: 'most frames in one message; more closes with 1009 (0 = no limit)',
  },
  'max-frame-size': {
    type: 'integer',
    placeholder: 'BYTES',
    default: 0,
    help: 'largest frame payload a client may declare; more closes with 1009 (0 = --max-payload)',
  },
  'max-header-bytes': {
    type: 'integer',
    placeholder: 'BYTES',
    default: DEFAULT_MAX_HEADER_BYTES,
    help: 'largest upgrade request head; more gets 431',
  },
  'handshake-timeout': {
    type: 'integer',
    placeholder: 'MS',
    default: DEFAULT_HANDSHAKE_TIMEOUT,
    help: 'time from accept to the 101 response',
  },
  'first-byte-timeout': {
    type: 'integer',
    placeholder: 'MS',
    default: DEFAULT_FIRST_BYTE_TIMEOUT,
    min: 1,
    help: 'time a new socket has to send its first byte; past it, 408 and closed',
  },
  'close-timeout': {
    type: 'integer',
    placeholder: 'MS',
    default: DEFAULT_CLOSE_TIMEOUT,
    help: 'time a peer has to answer our close before it is cut off',
  },
  'ping-interval': {
    type: 'integer',
    placeholder: 'MS',
    default: 30000,
    help: "ping each client this often (hub: also the hub protocol's own ping, announced in its welcome); 0 turns heartbeats off",
  },
  'pong-timeout': {
    type: 'integer',
    placeholder: 'MS',
    default: 10000,
    help: 'drop a client that sends nothing this long after a ping',
  },
  'max-buffered-bytes': {
    type: 'integer',
    placeholder: 'BYTES',
    default: DEFAULT_MAX_BUFFERED_BYTES,
    help: 'outgoing bytes held per connection before reading from it pauses (echo) or messages drop (broadcast)',
  },
  'max-connections': {
    type: 'integer',
    placeholder: 'N',
    default: 0,
    help: 'open connections at most; past it upgrades get 503 with Retry-After (0 = no limit)',
  },
  'max-pending-handshakes': {
    type: 'integer',
    placeholder: 'N',
    default: DEFAULT_MAX_PENDING_HANDSHAKES,
    help: 'handshakes in progress at most; when all are taken, a newcomer displaces the oldest least-advanced handshake of another address (503 to it), else gets 503 with Retry-After at once (0 = no limit)',
  },
  'max-pending-handshakes-per-address': {
    type: 'integer',
    placeholder: 'N',
    default: DEFAULT_MAX_PENDING_HANDSHAKES_PER_ADDRESS,
    help: 'handshakes in progress from one client address at most; past it its new sockets get 503 with Retry-After at once (0 = no limit; behind a TCP proxy every client has its address)',
  },
  'memory-budget': {
    type: 'integer',
    placeholder: 'BYTES',
    default: DEFAULT_MEMORY_BUDGET,
    help: 'bytes held by all connections (outgoing queues, incoming messages in progress or unread); over it, a connection over --max-buffered-bytes either way closes with 1013 and upgrades get 503 (0 = off)',
  },
  'shutdown-timeout': {
    type: 'integer',
    placeholder: 'MS',
    default: 5000,
    help: 'on SIGINT/SIGTERM, time to wait for close handshakes before terminating',
  },
  'metrics-port': {
    type: 'integer',
    placeholder: 'P',
    max: 65535,
    help: 'serve Prometheus metrics at http://HOST:P/metrics (0 picks a free port; off unless given)',
  },
  'metrics-host': {
    type: 'string',
    placeholder: 'H',
    default: '127.0.0.1',
    help: 'address the metrics endpoint binds (keep it private: 0.0.0.0 shows them to every network)',
  },
  'log-level': {
    type: 'string',
    choices: ['error', 'warn', 'info', 'debug'],
    default: 'info',
    help: 'log these and more severe events on stderr: error (server errors), warn (limits, memory shedding), info (refusals, heartbeat timeouts, protocol errors, start and stop), debug (each connection, each drop)',
  },
  'log-format': {
    type: 'string',
    choices: ['auto', 'text', 'json'],
    default: 'auto',
    help: 'log lines as plain text or JSON lines; auto: text on a terminal, JSON otherwise',
  },
  page: {
    type: 'boolean',
    default: false,
    help: 'also serve the browser echo page over HTTP on the same port',
  },
} as const satisfies FlagTable;
