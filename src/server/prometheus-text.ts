// server.metrics() in the Prometheus text exposition format (version 0.0.4): written here rather
// than through prom-client, because the figures already exist as one snapshot (a registry would
// hold a second copy and need its own collection hook) and the format needs ~100 lines; the core
// keeps zero runtime dependencies. test/integration/metrics-endpoint.test.ts checks the output
// with Prometheus's own `promtool check metrics` and a line-by-line parser.
import { WebSocketError } from '../errors.js';
import type { ServerMetrics } from './metrics-snapshot.js';

/** The Content-Type of a scrape answer in this format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface PrometheusTextOptions {
  /** Labels added to every sample, e.g. `{ server: 'chat' }` when one process runs several servers. */
  readonly labels?: Readonly<Record<string, string>>;
}

type Labels = Readonly<Record<string, string | number>>;
type Sample = readonly [labels: Labels, value: number, suffix?: string];

/** `metrics` (from `server.metrics()`) as Prometheus text: HELP and TYPE lines, then the samples. */
export function prometheusText(metrics: ServerMetrics, options: PrometheusTextOptions = {}): string {
  const common = options.labels ?? {};
  for (const name of Object.keys(common)) checkLabelName(name);
  const out: string[] = [];
  const family = (name: string, type: string, help: string, samples: readonly Sample[]): void => {
    out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value, suffix] of samples)
      out.push(`${name}${suffix ?? ''}${labelText({ ...common, ...labels })} ${numberText(value)}`);
  };
  const one = (value: number): Sample[] => [[{}, value]];

  family('fullduplex_connections_open', 'gauge', 'Open WebSocket connections.', one(metrics.connectionsOpen));
  family(
    'fullduplex_handshakes_pending',
    'gauge',
    'Opening handshakes in progress.',
    one(metrics.handshakesPending),
  );
  family(
    'fullduplex_connections_opened_total',
    'counter',
    'WebSocket connections opened (101 sent).',
    one(metrics.connectionsOpened),
  );
  family(
    'fullduplex_connections_closed_total',
    'counter',
    'WebSocket connections closed, by close code and by who closed (local, remote or abnormal).',
    metrics.closes.map((entry) => [{ code: entry.code, closed_by: entry.closedBy }, entry.count]),
  );
  family(
    'fullduplex_messages_received_total',
    'counter',
    'Messages received from peers.',
    one(metrics.messagesReceived),
  );
  family(
    'fullduplex_messages_sent_total',
    'counter',
    'Messages accepted for sending (not dropped on arrival).',
    one(metrics.messagesSent),
  );
  family(
    'fullduplex_received_bytes_total',
    'counter',
    'WebSocket bytes received after the handshake.',
    one(metrics.bytesReceived),
  );
  family(
    'fullduplex_sent_bytes_total',
    'counter',
    'WebSocket bytes handed to the sockets after the handshake.',
    one(metrics.bytesSent),
  );
  const drops = Object.entries(metrics.dropped);
  family(
    'fullduplex_dropped_messages_total',
    'counter',
    'Messages kept from the wire by a slow-consumer policy or the memory budget.',
    drops.map(([policy, entry]) => [{ policy }, entry.messages]),
  );
  family(
    'fullduplex_dropped_bytes_total',
    'counter',
    'Frame bytes of the dropped messages.',
    drops.map(([policy, entry]) => [{ policy }, entry.bytes]),
  );
  family(
    'fullduplex_handshakes_refused_total',
    'counter',
    'Opening handshakes refused, by HTTP status (0: closed before TLS) and reason.',
    metrics.refusals.map((entry) => [{ status: entry.status, reason: entry.reason }, entry.count]),
  );
  family(
    'fullduplex_protocol_errors_total',
    'counter',
    'Connections failed for a protocol violation, by the close code sent.',
    metrics.protocolErrors.map((entry) => [{ code: entry.code }, entry.count]),
  );
  family(
    'fullduplex_heartbeat_timeouts_total',
    'counter',
    'Connections terminated by the heartbeat (no pong or other frame in time).',
    one(metrics.heartbeatTimeouts),
  );
  family(
    'fullduplex_budget_shed_connections_total',
    'counter',
    'Connections closed to keep the memory budget.',
    one(metrics.budgetShed),
  );
  const rtt = metrics.pingRoundTrip;
  family('fullduplex_ping_round_trip_seconds', 'histogram', 'Heartbeat ping round trips.', [
    ...rtt.buckets.map((bucket): Sample => [{ le: leText(bucket.leMs / 1000) }, bucket.count, '_bucket']),
    [{}, rtt.sumMs / 1000, '_sum'],
    [{}, rtt.count, '_count'],
  ]);
  const budget = metrics.memoryBudget;
  if (budget !== null) {
    family('fullduplex_memory_budget_limit_bytes', 'gauge', 'The memory budget.', one(budget.limitBytes));
    family(
      'fullduplex_memory_budget_used_bytes',
      'gauge',
      'Message bytes held by the connections, both ways.',
      one(budget.usedBytes),
    );
    family(
      'fullduplex_memory_budget_used_inbound_bytes',
      'gauge',
      'The part of the used bytes held for incoming messages.',
      one(budget.usedInboundBytes),
    );
  }
  const hub = metrics.hub;
  if (hub !== undefined) {
    family('fullduplex_hub_topics', 'gauge', 'Topics with a subscriber in this process.', one(hub.topics));
    family(
      'fullduplex_hub_subscriptions',
      'gauge',
      'Topic subscriptions in this process.',
      one(hub.subscriptions),
    );
    family(
      'fullduplex_hub_publishes_total',
      'counter',
      'Publications accepted by the broker from this process.',
      one(hub.publishes),
    );
    family(
      'fullduplex_hub_deliveries_total',
      'counter',
      'Publication messages handed to subscribers in this process.',
      one(hub.deliveries),
    );
    family(
      'fullduplex_hub_broker_up',
      'gauge',
      '1 while the broker is reachable, 0 while it is down.',
      one(hub.brokerState === 'up' ? 1 : 0),
    );
  }
  return `${out.join('\n')}\n`;
}

function labelText(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  return `{${names.map((name) => `${name}="${escapeLabelValue(String(labels[name]))}"`).join(',')}}`;
}

/** Label values: backslash, double quote and line feed are escaped (the format's three escapes). */
function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`));
}

/** HELP text: backslash and line feed are escaped. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (char) => (char === '\n' ? '\\n' : '\\\\'));
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function leText(value: number): string {
  return numberText(value);
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function checkLabelName(name: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith('__'))
    throw new WebSocketError(
      'ERR_INVALID_ARGUMENT',
      `not a valid Prometheus label name: ${JSON.stringify(name)}`,
    );
}
