// prometheusText(): the text exposition format's rules, checked by a strict reader
// (test/helpers/prometheus-exposition.ts), and that reader's own refusals (so the checks can fail).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServerMetrics } from '../../../src/index.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText, WebSocketError } from '../../../src/index.js';
import { parseExposition } from '../../helpers/prometheus-exposition.js';

const metrics: ServerMetrics = {
  connectionsOpen: 3,
  handshakesPending: 1,
  connectionsOpened: 10,
  connectionsClosed: 7,
  messagesReceived: 100,
  messagesSent: 250,
  bytesReceived: 4096,
  bytesSent: 65536,
  dropped: {
    'drop-newest': { messages: 4, bytes: 400 },
    'drop-oldest': { messages: 0, bytes: 0 },
    'latest-by-key': { messages: 2, bytes: 20 },
    budget: { messages: 0, bytes: 0 },
  },
  closes: [
    { code: 1000, closedBy: 'remote', count: 5 },
    { code: 1006, closedBy: 'abnormal', count: 2 },
  ],
  refusals: [
    { status: 503, reason: 'max-connections', count: 3 },
    { status: 0, reason: 'max-pending-handshakes', count: 1 },
  ],
  protocolErrors: [{ code: 1002, count: 1 }],
  heartbeatTimeouts: 2,
  budgetShed: 1,
  pingRoundTrip: {
    count: 3,
    sumMs: 7.5,
    minMs: 0.5,
    maxMs: 6,
    buckets: [
      { leMs: 1, count: 1 },
      { leMs: 5, count: 2 },
      { leMs: 10, count: 3 },
      { leMs: Number.POSITIVE_INFINITY, count: 3 },
    ],
  },
  memoryBudget: { limitBytes: 1000, usedBytes: 10, usedInboundBytes: 4 },
  hub: { topics: 2, subscriptions: 5, publishes: 9, deliveries: 40, brokerState: 'down' },
};

describe('prometheusText', () => {
  test('every line follows the format; figures, labels and units as documented', () => {
    const text = prometheusText(metrics);
    const parsed = parseExposition(text);
    for (const family of parsed.families.values()) {
      assert.ok(family.help, `${family.name} has HELP`);
      assert.ok(family.type, `${family.name} has TYPE`);
    }
    assert.equal(parsed.value('fullduplex_connections_open'), 3);
    assert.equal(parsed.value('fullduplex_connections_opened_total'), 10);
    assert.equal(
      parsed.value('fullduplex_connections_closed_total', { code: '1006', closed_by: 'abnormal' }),
      2,
    );
    assert.equal(parsed.value('fullduplex_dropped_messages_total', { policy: 'latest-by-key' }), 2);
    assert.equal(parsed.value('fullduplex_dropped_bytes_total', { policy: 'drop-newest' }), 400);
    assert.equal(
      parsed.value('fullduplex_handshakes_refused_total', { status: '503', reason: 'max-connections' }),
      3,
    );
    assert.equal(parsed.value('fullduplex_protocol_errors_total', { code: '1002' }), 1);
    assert.equal(parsed.value('fullduplex_ping_round_trip_seconds_bucket', { le: '0.005' }), 2);
    assert.equal(parsed.value('fullduplex_ping_round_trip_seconds_bucket', { le: '+Inf' }), 3);
    assert.equal(parsed.value('fullduplex_ping_round_trip_seconds_sum'), 0.0075);
    assert.equal(parsed.value('fullduplex_memory_budget_used_inbound_bytes'), 4);
    assert.equal(parsed.value('fullduplex_hub_broker_up'), 0);
    assert.equal(parsed.value('fullduplex_hub_deliveries_total'), 40);
    assert.equal(PROMETHEUS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
  });

  test('constant labels are escaped (backslash, quote, line feed) and read back unchanged', () => {
    const awkward = 'a\\b "quoted"\nnext';
    const parsed = parseExposition(prometheusText(metrics, { labels: { server: awkward } }));
    assert.equal(parsed.value('fullduplex_connections_open', { server: awkward }), 3);
    assert.equal(
      parsed.value('fullduplex_connections_closed_total', {
        server: awkward,
        code: '1000',
        closed_by: 'remote',
      }),
      5,
    );
  });

  test('without a budget or a hub their families are left out', () => {
    const parsed = parseExposition(prometheusText({ ...metrics, memoryBudget: null, hub: undefined }));
    assert.equal(parsed.families.has('fullduplex_memory_budget_used_bytes'), false);
    assert.equal(parsed.families.has('fullduplex_hub_topics'), false);
  });

  test('a label name the format does not allow is refused', () => {
    for (const name of ['1st', 'has-dash', '__reserved', ''])
      assert.throws(() => prometheusText(metrics, { labels: { [name]: 'x' } }), WebSocketError);
  });

  test('the reader refuses what breaks the rules', () => {
    const bad = [
      'no_newline 1',
      '# TYPE a counter\na 1\n', // a counter without _total
      'a{b="\\x"} 1\n', // unknown escape
      'a{b="1"} one\n', // not a float
      'a 1\nb 1\na 2\n', // a family's samples not grouped
      'a{1b="x"} 1\n', // bad label name
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', // not cumulative
      '# TYPE a_total counter\n# TYPE a_total counter\na_total 1\n', // TYPE twice
    ];
    for (const text of bad) assert.throws(() => parseExposition(text), Error, JSON.stringify(text));
  });
});
