import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { backoffDelay, resolveReconnectOptions } from '../../../src/hub-client/backoff.js';
import { HubClient } from '../../../src/hub-client/hub-client.js';
import type { HubClientError } from '../../../src/hub-client/hub-client-error.js';
import type { HubClientOptions } from '../../../src/hub-client/hub-client-options.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeWebSocket } from './fake-web-socket.js';

let clock: FakeClock;

function client(options: HubClientOptions = {}): HubClient {
  return new HubClient('ws://hub.test/', {
    WebSocket: FakeWebSocket,
    clock,
    random: () => 0.5,
    lifecycleEvents: false,
    ...options,
  });
}

/** Lets promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  FakeWebSocket.instances = [];
  clock = new FakeClock();
});

describe('backoff with full jitter', () => {
  const options = resolveReconnectOptions({ initialDelay: 100, maxDelay: 1000, factor: 2 });

  test('stays in [0, min(maxDelay, initialDelay × factor^(attempt-1)))', () => {
    for (const [attempt, ceiling] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 800],
      [5, 1000],
      [30, 1000],
    ] as const) {
      assert.equal(
        backoffDelay(attempt, options, () => 0),
        0,
      );
      assert.equal(
        backoffDelay(attempt, options, () => 0.999999),
        ceiling - 1,
      );
      assert.equal(
        backoffDelay(attempt, options, () => 0.5),
        ceiling / 2,
      );
    }
  });

  test('Math.random delays spread over the whole window', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(5, options, Math.random));
    assert.ok(delays.every((delay) => delay >= 0 && delay < 1000));
    const lowHalf = delays.filter((delay) => delay < 500).length;
    assert.ok(lowHalf > 800 && lowHalf < 1200, `${lowHalf} of 2000 in the lower half`);
  });

  test('bad options are refused with a clear error', () => {
    assert.throws(() => resolveReconnectOptions({ maxDelay: 10, initialDelay: 100 }), /maxDelay/);
    assert.throws(() => resolveReconnectOptions({ factor: 0.5 }), /factor/);
    assert.throws(() => resolveReconnectOptions({ maxAttempts: 0 }), /maxAttempts/);
  });
});

describe('reconnecting', () => {
  test('offers the hub subprotocol and retries after the jittered delay, growing per failure', () => {
    const hub = client({ reconnect: { initialDelay: 1000, maxDelay: 3000 } });
    const delays: (number | undefined)[] = [];
    hub.on('disconnected', (event) => delays.push(event.delay));
    hub.connect();
    assert.equal(FakeWebSocket.last.protocols, 'fullduplex.hub.v1');
    assert.equal(hub.state, 'connecting');
    for (const expected of [500, 1000, 1500, 1500]) {
      const count = FakeWebSocket.instances.length;
      FakeWebSocket.last.drop();
      assert.equal(hub.state, 'disconnected');
      clock.advance(expected - 1);
      assert.equal(FakeWebSocket.instances.length, count, 'not before the delay');
      clock.advance(1);
      assert.equal(FakeWebSocket.instances.length, count + 1, 'at the delay');
    }
    assert.deepEqual(delays, [500, 1000, 1500, 1500]);
    FakeWebSocket.last.accept();
    assert.equal(hub.state, 'connected');
    FakeWebSocket.last.drop(1001, 'going away');
    assert.deepEqual(delays.at(-1), 500, 'a welcomed connection resets the backoff');
    hub.close();
  });

  test('gives up after maxAttempts failures in a row with attempts-exhausted', () => {
    const hub = client({ reconnect: { maxAttempts: 3 } });
    const failed: HubClientError[] = [];
    hub.on('failed', (error) => failed.push(error));
    hub.connect();
    for (let i = 0; i < 3; i++) {
      FakeWebSocket.last.drop();
      clock.advance(60_000);
    }
    assert.equal(FakeWebSocket.instances.length, 3);
    assert.equal(hub.state, 'closed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.code, 'attempts-exhausted');
  });

  for (const status of [401, 403]) {
    test(`a ${status} handshake refusal is fatal: no retry, the reason reaches the application`, () => {
      const hub = client();
      const failed: HubClientError[] = [];
      const disconnected: unknown[] = [];
      hub.on('failed', (error) => failed.push(error));
      hub.on('disconnected', (event) => disconnected.push(event));
      hub.connect();
      FakeWebSocket.last.drop(1006, '', Object.assign(new Error('refused'), { status }));
      clock.advance(600_000);
      assert.equal(FakeWebSocket.instances.length, 1);
      assert.equal(failed[0]?.code, 'unauthorized');
      assert.match(failed[0]?.message ?? '', new RegExp(String(status)));
      assert.deepEqual(disconnected, [{ code: 1006, reason: '', willReconnect: false }]);
    });
  }

  test('a server that selects no subprotocol is a protocol mismatch: closed, not retried', () => {
    const hub = client();
    const failed: HubClientError[] = [];
    hub.on('failed', (error) => failed.push(error));
    hub.connect();
    const socket = FakeWebSocket.last;
    socket.accept(25, '');
    clock.advance(600_000);
    assert.equal(failed[0]?.code, 'protocol-mismatch');
    assert.ok(socket.closedWith !== null);
    assert.equal(FakeWebSocket.instances.length, 1);
  });

  test('an attempt with no welcome within connectTimeout is dropped and retried', () => {
    const hub = client({ connectTimeout: 5000 });
    hub.connect();
    const first = FakeWebSocket.last;
    clock.advance(4999);
    assert.equal(first.closedWith, null);
    clock.advance(1);
    assert.ok(first.closedWith !== null);
    assert.equal(hub.state, 'disconnected');
    clock.advance(250);
    assert.equal(FakeWebSocket.instances.length, 2);
    hub.close();
  });

  test('close() stops for good and closes the socket with 1000', () => {
    const hub = client();
    hub.connect();
    FakeWebSocket.last.accept();
    hub.close();
    assert.deepEqual(FakeWebSocket.last.closedWith, { code: 1000, reason: '' });
    clock.advance(600_000);
    assert.equal(FakeWebSocket.instances.length, 1);
    assert.equal(hub.state, 'closed');
  });
});

describe('heartbeat', () => {
  test('answers pings; silence for twice the announced interval drops the connection and reconnects', () => {
    const hub = client();
    const disconnected: { code: number; reason: string }[] = [];
    hub.on('disconnected', (event) => disconnected.push(event));
    hub.connect();
    const socket = FakeWebSocket.last;
    socket.accept(10);
    clock.advance(15_000);
    socket.receive({ op: 'ping' });
    assert.equal(socket.sentOps('pong').length, 1);
    clock.advance(34_999 - 15_000); // 19,999 ms after the ping
    assert.equal(socket.closedWith, null);
    assert.equal(hub.state, 'connected');
    clock.advance(1);
    assert.ok(socket.closedWith !== null);
    assert.deepEqual(disconnected, [
      { code: 1006, reason: 'heartbeat timeout', willReconnect: true, delay: 250 },
    ]);
    clock.advance(250);
    assert.equal(FakeWebSocket.instances.length, 2);
    hub.close();
  });

  test('a server that announces ping 0 gets no heartbeat check; heartbeatTimeout overrides', () => {
    const quiet = client();
    quiet.connect();
    FakeWebSocket.last.accept(0);
    clock.advance(3_600_000);
    assert.equal(quiet.state, 'connected');
    quiet.close();
    const strict = client({ heartbeatTimeout: 1000 });
    strict.connect();
    FakeWebSocket.last.accept(0);
    clock.advance(1000);
    assert.equal(strict.state, 'disconnected');
    strict.close();
  });
});

describe('publishing and the offline queue', () => {
  test('publish resolves with the ack; queued publishes go out in order after the welcome', async () => {
    const hub = client();
    hub.connect();
    const queued = [hub.publish('t', { n: 1 }), hub.publish('t', { n: 2 })];
    assert.equal(FakeWebSocket.last.sent.length, 0);
    FakeWebSocket.last.accept();
    const frames = FakeWebSocket.last.sentOps('publish');
    assert.deepEqual(
      frames.map((frame) => frame.data),
      ['{"n":1}', '{"n":2}'],
    );
    for (const [i, frame] of frames.entries())
      FakeWebSocket.last.receive({ op: 'published', id: frame.id, topic: 't', offset: i + 1, epoch: 'e' });
    assert.deepEqual(await Promise.all(queued), [
      { offset: 1, epoch: 'e' },
      { offset: 2, epoch: 'e' },
    ]);
    const live = hub.publish('t', 'x', { key: 'k' });
    const frame = FakeWebSocket.last.sentOps('publish').at(-1) as Record<string, unknown>;
    assert.equal(frame.key, 'k');
    FakeWebSocket.last.receive({ op: 'error', id: frame.id, code: 'rate-limited', message: 'slow down' });
    await assert.rejects(live, { code: 'rate-limited', message: 'slow down' });
    hub.close();
  });

  test('drop-oldest fails the oldest queued publish with dropped', async () => {
    const hub = client({ queue: { size: 2, policy: 'drop-oldest' } });
    hub.connect();
    const first = hub.publish('t', 1);
    hub.publish('t', 2).catch(() => {});
    hub.publish('t', 3).catch(() => {});
    await assert.rejects(first, { code: 'dropped' });
    FakeWebSocket.last.accept();
    assert.deepEqual(
      FakeWebSocket.last.sentOps('publish').map((frame) => frame.data),
      ['2', '3'],
    );
    hub.close();
  });

  test('drop-newest fails the new publish; error throws queue-full; size 0 fails at once', async () => {
    const newest = client({ queue: { size: 1, policy: 'drop-newest' } });
    newest.connect();
    newest.publish('t', 1).catch(() => {});
    await assert.rejects(newest.publish('t', 2), { code: 'dropped' });
    FakeWebSocket.last.accept();
    assert.deepEqual(
      FakeWebSocket.last.sentOps('publish').map((frame) => frame.data),
      ['1'],
    );
    newest.close();

    const strict = client({ queue: { size: 1, policy: 'error' } });
    strict.connect();
    strict.publish('t', 1).catch(() => {});
    assert.throws(() => strict.publish('t', 2), { code: 'queue-full' });
    strict.close();

    const none = client({ queue: { size: 0 } });
    none.connect();
    await assert.rejects(none.publish('t', 1), { code: 'not-connected' });
    none.close();
    assert.throws(() => client({ queue: { policy: 'nope' as 'error' } }), /policy/);
  });

  test('a publish sent but not acked when the connection drops fails with connection-lost (never resent)', async () => {
    const hub = client();
    hub.connect();
    FakeWebSocket.last.accept();
    const pending = hub.publish('t', 1);
    FakeWebSocket.last.drop();
    await assert.rejects(pending, { code: 'connection-lost' });
    clock.advance(250);
    FakeWebSocket.last.accept();
    assert.equal(FakeWebSocket.last.sentOps('publish').length, 0);
    hub.close();
  });

  test('close() fails queued publishes with closed', async () => {
    const hub = client();
    hub.connect();
    const queued = hub.publish('t', 1);
    hub.close();
    await assert.rejects(queued, { code: 'closed' });
    await assert.rejects(hub.publish('t', 2), { code: 'closed' });
  });

  test('a value the codec cannot encode is refused with encode', async () => {
    const hub = client();
    await assert.rejects(hub.publish('t', undefined), { code: 'encode' });
  });
});

describe('subscriptions across reconnects', () => {
  function message(offset: number, epoch = 'e1') {
    return { op: 'message', topic: 'news', offset, epoch, data: JSON.stringify({ offset }) };
  }

  test('resubscribes from the last position; missed messages come once, in order; recovered is reported', async () => {
    const hub = client();
    const recovered: unknown[] = [];
    hub.on('recovered', (event) => recovered.push(event));
    hub.connect();
    const first = FakeWebSocket.last;
    first.accept();
    const news = hub.subscribe('news');
    const seen: number[] = [];
    const answers: unknown[] = [];
    news.on('message', (m) => seen.push(m.offset));
    news.on('subscribed', (event) => answers.push(event));
    const [request] = first.sentOps('subscribe');
    assert.deepEqual(request, { op: 'subscribe', id: request?.id, topic: 'news' });
    first.receive(message(3)); // before the answer: not ours yet
    first.receive({ op: 'subscribed', id: request?.id, topic: 'news', position: { offset: 3, epoch: 'e1' } });
    for (const offset of [4, 5, 6]) first.receive(message(offset));
    first.drop();
    assert.equal(news.state, 'pending');
    clock.advance(250);
    const second = FakeWebSocket.last;
    second.accept();
    const [again] = second.sentOps('subscribe');
    assert.deepEqual(again?.since, { offset: 6, epoch: 'e1' });
    second.receive({
      op: 'subscribed',
      id: again?.id,
      topic: 'news',
      position: { offset: 6, epoch: 'e1' },
      recovered: true,
    });
    for (const offset of [5, 6, 7, 8, 8, 9]) second.receive(message(offset));
    assert.deepEqual(seen, [4, 5, 6, 7, 8, 9]);
    assert.deepEqual(answers, [
      { topic: 'news', position: { offset: 3, epoch: 'e1' }, resubscribed: false, recovered: undefined },
      { topic: 'news', position: { offset: 6, epoch: 'e1' }, resubscribed: true, recovered: true },
    ]);
    assert.equal(recovered.length, 1);
    assert.equal((recovered[0] as { complete: boolean }).complete, true);
    hub.close();
  });

  test('incomplete recovery: recovered false with its reason, then the new epoch goes on live', () => {
    const hub = client();
    const recovered: { complete: boolean }[] = [];
    hub.on('recovered', (event) => recovered.push(event));
    hub.connect();
    FakeWebSocket.last.accept();
    const news = hub.subscribe('news', { since: { offset: 10, epoch: 'e1' } });
    const seen: string[] = [];
    news.on('message', (m) => seen.push(`${m.epoch}:${m.offset}`));
    const answers: { recovered: boolean | undefined; reason?: string }[] = [];
    news.on('subscribed', (event) => answers.push(event));
    const [first] = FakeWebSocket.last.sentOps('subscribe');
    assert.deepEqual(first?.since, { offset: 10, epoch: 'e1' });
    FakeWebSocket.last.receive({
      op: 'subscribed',
      id: first?.id,
      topic: 'news',
      position: { offset: 10, epoch: 'e1' },
      recovered: true,
    });
    FakeWebSocket.last.receive(message(11));
    FakeWebSocket.last.drop();
    clock.advance(250);
    FakeWebSocket.last.accept();
    const [again] = FakeWebSocket.last.sentOps('subscribe');
    FakeWebSocket.last.receive({
      op: 'subscribed',
      id: again?.id,
      topic: 'news',
      position: { offset: 0, epoch: 'e2' },
      recovered: false,
      reason: 'epoch-changed',
    });
    FakeWebSocket.last.receive(message(1, 'e2'));
    FakeWebSocket.last.receive(message(1, 'e2'));
    FakeWebSocket.last.receive(message(1, 'e3')); // the topic's state was lost again while subscribed
    assert.deepEqual(seen, ['e1:11', 'e2:1', 'e3:1']);
    assert.equal(answers[1]?.recovered, false);
    assert.equal(answers[1]?.reason, 'epoch-changed');
    assert.deepEqual(recovered, [{ complete: false, topics: [answers[1]] }]);
    hub.close();
  });

  test('gap frames reach the subscription; a refused subscribe ends it with the server error', () => {
    const hub = client();
    const errors: HubClientError[] = [];
    hub.connect();
    FakeWebSocket.last.accept();
    const news = hub.subscribe('news');
    const gaps: unknown[] = [];
    news.on('gap', (gap) => gaps.push(gap));
    FakeWebSocket.last.receive({
      op: 'gap',
      topic: 'news',
      after: { offset: 4, epoch: 'e1' },
      reason: 'broker',
    });
    assert.deepEqual(gaps, [{ topic: 'news', after: { offset: 4, epoch: 'e1' }, reason: 'broker' }]);
    const [request0] = FakeWebSocket.last.sentOps('subscribe');
    FakeWebSocket.last.receive({
      op: 'subscribed',
      id: request0?.id,
      topic: 'news',
      position: { offset: 0, epoch: 'e1' },
    });
    FakeWebSocket.last.receive(message(1));
    FakeWebSocket.last.receive({
      op: 'gap',
      topic: 'news',
      after: { offset: 1, epoch: 'e1' },
      reason: 'broker',
    });
    FakeWebSocket.last.receive(message(5)); // the announced gap: no second report
    FakeWebSocket.last.receive(message(8)); // 6 and 7 skipped silently (slow-consumer policy): reported
    assert.deepEqual(gaps.slice(1), [
      { topic: 'news', after: { offset: 1, epoch: 'e1' }, reason: 'broker' },
      { topic: 'news', after: { offset: 5, epoch: 'e1' }, reason: 'skipped' },
    ]);
    const secret = hub.subscribe('secret');
    secret.on('error', (error) => errors.push(error));
    const request = FakeWebSocket.last.sentOps('subscribe').at(-1);
    FakeWebSocket.last.receive({
      op: 'error',
      id: request?.id,
      topic: 'secret',
      code: 'forbidden',
      message: 'no',
    });
    assert.equal(errors[0]?.code, 'forbidden');
    assert.equal(secret.state, 'failed');
    FakeWebSocket.last.drop();
    clock.advance(250);
    FakeWebSocket.last.accept();
    assert.deepEqual(
      FakeWebSocket.last.sentOps('subscribe').map((frame) => frame.topic),
      ['news'],
      'a refused topic is not retried',
    );
    hub.close();
  });

  test('async iteration delivers in order and ends on unsubscribe, which tells the server', async () => {
    const hub = client();
    hub.connect();
    FakeWebSocket.last.accept();
    const news = hub.subscribe('news');
    const [request] = FakeWebSocket.last.sentOps('subscribe');
    FakeWebSocket.last.receive({
      op: 'subscribed',
      id: request?.id,
      topic: 'news',
      position: { offset: 0, epoch: 'e1' },
    });
    const collected = (async () => {
      const data: unknown[] = [];
      for await (const m of news) data.push(m.data);
      return data;
    })();
    await settle();
    for (const offset of [1, 2, 3]) FakeWebSocket.last.receive(message(offset));
    await settle();
    news.unsubscribe();
    assert.deepEqual(await collected, [{ offset: 1 }, { offset: 2 }, { offset: 3 }]);
    assert.deepEqual(FakeWebSocket.last.sentOps('unsubscribe'), [{ op: 'unsubscribe', topic: 'news' }]);
    assert.throws(
      () => {
        hub.subscribe('other');
        hub.subscribe('other');
      },
      { code: 'already-subscribed' },
    );
    hub.close();
  });

  test('a payload the codec refuses is reported as an error and skipped; binary payloads are base64', () => {
    const hub = client();
    const errors: Error[] = [];
    hub.on('error', (error) => errors.push(error));
    hub.connect();
    FakeWebSocket.last.accept();
    const news = hub.subscribe('news');
    const seen: unknown[] = [];
    news.on('message', (m) => seen.push(m.data));
    const [request] = FakeWebSocket.last.sentOps('subscribe');
    FakeWebSocket.last.receive({
      op: 'subscribed',
      id: request?.id,
      topic: 'news',
      position: { offset: 0, epoch: 'e1' },
    });
    FakeWebSocket.last.receive({ op: 'message', topic: 'news', offset: 1, epoch: 'e1', data: '{not json' });
    FakeWebSocket.last.receive({
      op: 'message',
      topic: 'news',
      offset: 2,
      epoch: 'e1',
      data: btoa('[1,2]'),
      binary: true,
    });
    assert.equal((errors[0] as HubClientError | undefined)?.code, 'decode');
    assert.deepEqual(seen, [[1, 2]]);
    hub.close();
  });
});

describe('browser lifecycle events', () => {
  const global = globalThis as unknown as Record<string, unknown>;
  let target: EventTarget;
  let documentTarget: EventTarget & { visibilityState: string };

  beforeEach(() => {
    target = new EventTarget();
    documentTarget = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    global.addEventListener = target.addEventListener.bind(target);
    global.removeEventListener = target.removeEventListener.bind(target);
    global.document = documentTarget;
  });

  afterEach(() => {
    delete global.addEventListener;
    delete global.removeEventListener;
    delete global.document;
  });

  test('online and a tab becoming visible retry at once; after close() they do nothing', () => {
    const hub = client({ lifecycleEvents: true, reconnect: { initialDelay: 60_000, maxDelay: 60_000 } });
    hub.connect();
    FakeWebSocket.last.drop();
    assert.equal(FakeWebSocket.instances.length, 1);
    target.dispatchEvent(new Event('online'));
    assert.equal(FakeWebSocket.instances.length, 2);
    FakeWebSocket.last.drop();
    documentTarget.dispatchEvent(new Event('visibilitychange'));
    assert.equal(FakeWebSocket.instances.length, 2, 'still hidden');
    documentTarget.visibilityState = 'visible';
    documentTarget.dispatchEvent(new Event('visibilitychange'));
    assert.equal(FakeWebSocket.instances.length, 3);
    hub.close();
    target.dispatchEvent(new Event('online'));
    assert.equal(FakeWebSocket.instances.length, 3);
  });
});
