// The curated public surface: growing it is a visible decision (update the lists here on purpose).
// Imports go through the package's own `exports` map, so this also checks the map after a build.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

const rootExports = [
  'BrokerUnavailableError',
  'BufferBudget',
  'CloseEvent',
  'Connection',
  'ConnectionClosedError',
  'CorruptDataError',
  'DEFAULT_MAX_FRAGMENTS',
  'DEFAULT_MAX_PAYLOAD',
  'HandshakeError',
  'MessageTooBigError',
  'PROMETHEUS_CONTENT_TYPE',
  'PerMessageDeflate',
  'PreparedMessage',
  'ProtocolError',
  'SocketTransport',
  'TimeoutError',
  'WebSocket',
  'WebSocketError',
  'WebSocketServer',
  'binaryCodec',
  'broadcast',
  'connect',
  'isNormalClosure',
  'jsonCodec',
  'nodeClock',
  'prepareMessage',
  'prometheusText',
  'textCodec',
];

const hubExports = [
  'DEFAULT_HUB_LIMITS',
  'DEFAULT_HUB_PING_INTERVAL',
  'DEFAULT_PRESENCE_TTL_MS',
  'DEFAULT_TOPIC_OPTIONS',
  'HUB_SUBPROTOCOL',
  'Hub',
  'HubEndpoint',
  'HubLimitError',
  'MAX_TOPIC_LENGTH',
  'MemoryBackend',
  'MemoryBroker',
  'PLAIN_TOPIC_PREFIX',
  'checkTopicName',
  'createHub',
  'topicNameProblem',
];

const testingExports = ['FakeClock', 'PipeTransport', 'connectionPair', 'createPipe', 'nextTurn', 'until'];

describe('public API', () => {
  test("'fullduplex' exports exactly the curated names", async () => {
    const api = await import('fullduplex');
    assert.deepEqual(Object.keys(api).sort(), [...rootExports].sort());
  });

  test("'fullduplex/protocol' exposes the sans-I/O core", async () => {
    const protocol = await import('fullduplex/protocol');
    for (const name of [
      'Protocol',
      'FrameParser',
      'serializeFrame',
      'HttpHeadParser',
      'validateUpgradeRequest',
    ]) {
      assert.ok(name in protocol, `missing ${name}`);
    }
  });

  test("'fullduplex/hub' exports exactly the hub's curated names", async () => {
    const hub = await import('fullduplex/hub');
    assert.deepEqual(Object.keys(hub).sort(), [...hubExports].sort());
  });

  test("'fullduplex/hub/redis' exports the Redis broker and loads no Redis library", async () => {
    const redis = await import('fullduplex/hub/redis');
    assert.deepEqual(Object.keys(redis).sort(), ['DEFAULT_REDIS_PRESENCE_TTL_MS', 'RedisBroker']);
  });

  test("'fullduplex/client' exports the hub client and nothing of the server side", async () => {
    const client = await import('fullduplex/client');
    assert.deepEqual(Object.keys(client).sort(), [
      'HUB_PROTOCOL',
      'HubClient',
      'HubClientError',
      'backoffDelay',
    ]);
    assert.equal(client.HUB_PROTOCOL, 'fullduplex.hub.v1');
  });

  test("'fullduplex/testing' exports exactly the test harness's curated names", async () => {
    const testing = await import('fullduplex/testing');
    assert.deepEqual(Object.keys(testing).sort(), [...testingExports].sort());
  });

  test('the error classes form one hierarchy with stable codes', async () => {
    const api = await import('fullduplex');
    const error = new api.MessageTooBigError('too big', 10);
    assert.ok(error instanceof api.ProtocolError);
    assert.ok(error instanceof api.WebSocketError);
    assert.equal(error.code, 'ERR_MESSAGE_TOO_BIG');
    assert.equal(error.closeCode, 1009);
    const corrupt = new api.CorruptDataError('corrupt', 1007);
    assert.ok(corrupt instanceof api.ProtocolError);
    assert.equal(corrupt.code, 'ERR_PROTOCOL');
    assert.equal(corrupt.closeCode, 1007);
    assert.equal(new api.CorruptDataError('corrupt').closeCode, 1002);
  });
});
