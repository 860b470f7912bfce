// The hub client (fullduplex/client) in Chromium and in Node through a hub process that is SIGKILLed
// and restarted on the same port, while a second hub process on the same real redis-server survives
// and keeps publishing: every client comes back, resubscribes from its last position and shows every
// message published meanwhile, in order, once; when more was published than the history keeps, it
// says recovery was incomplete for that topic and carries on live.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { WebSocket } from '../../src/client/web-socket/web-socket.js';
import { HubClient } from '../../src/hub-client/index.js';
import { type HubProcess, killAllHubProcesses, startHubProcess } from '../helpers/hub-process.js';
import { type RedisServer, redisMissing, startRedis } from '../helpers/redis-server.js';
import { chromium as chromiumAvailability, skipUnless } from '../interop/harness/peer-availability.js';
import type { ObserverRecord } from './harness/hub-observer.js';
import { Chromium, nodeObserver, until, type Watched } from './harness/observers.js';

const skip = redisMissing() || skipUnless(chromiumAvailability());

/** Offsets count up by one from `first`, all in one epoch, and the data is `expected`. */
function assertExactly(record: ObserverRecord, expected: readonly unknown[], first = 1, who = ''): void {
  assert.deepEqual(
    record.messages.map((message) => message.data),
    expected,
    `${who}: every message, in order, once`,
  );
  assert.deepEqual(
    record.messages.map((message) => message.offset),
    expected.map((_, index) => first + index),
    `${who}: no gap, no duplicate`,
  );
  assert.equal(new Set(record.messages.map((message) => message.epoch)).size, 1, `${who}: one epoch`);
}

describe('hub client: a hub process killed and restarted, a second one on the same Redis publishing', {
  skip,
  timeout: 120_000,
}, () => {
  let browser: Chromium;
  let redis: RedisServer;
  const observers: Watched[] = [];
  const publishers: HubClient<string>[] = [];

  before(async () => {
    browser = await Chromium.launch();
  });
  after(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const observer of observers.splice(0)) await observer.close().catch(() => {});
    for (const publisher of publishers.splice(0)) publisher.close();
    killAllHubProcesses();
    await redis?.stop();
  });

  /** Hub `a` (the one killed, on a port kept for its restart) and `b` (the survivor), on one Redis. */
  async function deployment(history: number): Promise<{ a: HubProcess; b: HubProcess; args: string[] }> {
    redis = await startRedis();
    const args = ['--redis', redis.url, '--history', String(history)];
    return { a: await startHubProcess(args), b: await startHubProcess(args), args };
  }

  /** A Node client on the surviving hub: its publishes are acknowledged, so they are in history. */
  function publisherOn(hub: HubProcess): HubClient<string> {
    const publisher = new HubClient<string>(`${hub.url}/`, { WebSocket });
    publishers.push(publisher);
    publisher.connect();
    return publisher;
  }

  /** One observer in Node and one in a Chromium page of hub `a`'s origin, on `topic` of hub `a`. */
  async function observersOn(a: HubProcess, topic: string): Promise<Watched[]> {
    const page = await browser.page(`http://127.0.0.1:${a.port}`);
    const options = { url: `${a.url}/`, topic, reconnect: { initialDelay: 200, maxDelay: 1000 } };
    const both = [nodeObserver(options), await page.observe(options)];
    observers.push(...both);
    for (const observer of both)
      await until(observer, 'the first subscribe answer', (r) => r.subscribed.length === 1);
    return both;
  }

  async function kill(hub: HubProcess): Promise<void> {
    hub.kill('SIGKILL');
    assert.equal(await hub.exited, 'SIGKILL');
  }

  test('every message published while the hub was down comes once, in order, after the missed ones; queued publishes go out', async () => {
    const { a, b, args } = await deployment(100);
    const both = await observersOn(a, 'news');
    const publisher = publisherOn(b);
    for (const n of [1, 2, 3]) await publisher.publish('news', `m${n}`);
    for (const observer of both) await until(observer, 'm1..m3', (r) => r.messages.length === 3);

    await kill(a);
    for (const observer of both) await until(observer, 'the drop', (r) => r.disconnected.length > 0);
    // Published through the surviving process while these clients have no hub to reconnect to.
    for (const n of [4, 5, 6, 7, 8]) await publisher.publish('news', `m${n}`);
    // And each client publishes while disconnected: queued, sent after the reconnect.
    for (const observer of both) await observer.publish(`queued by ${observer.runtime}`);
    const restarted = await startHubProcess(args, a.port);

    for (const observer of both) {
      const record = await until(
        observer,
        'the queued publish acknowledged',
        (r) => r.published.length === 1,
      );
      assert.equal(
        record.published[0]?.error,
        undefined,
        `${observer.name}: ${JSON.stringify(record.published)}`,
      );
    }
    await publisher.publish('news', 'm9');
    const queued = both.map((observer) => `queued by ${observer.runtime}`);
    for (const observer of both) {
      const record = await until(observer, 'm9', (r) => r.messages.some((message) => message.data === 'm9'));
      // The two queued publishes raced each other to the hub: either order, both after m8, before m9.
      const middle = record.messages.slice(8, 10).map((message) => message.data);
      assert.deepEqual([...middle].sort(), [...queued].sort(), `${observer.name}: ${JSON.stringify(middle)}`);
      assertExactly(
        record,
        ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', ...middle, 'm9'],
        1,
        observer.name,
      );
      const again = record.subscribed[1];
      assert.equal(again?.resubscribed, true, observer.name);
      assert.equal(again?.recovered, true, `${observer.name}: ${JSON.stringify(again)}`);
      assert.deepEqual(record.recovered, [true], observer.name);
      assert.ok(record.connected.at(-1)?.reconnected, observer.name);
      assert.equal(record.failed, null);
      assert.deepEqual(record.errors, []);
    }
    assert.deepEqual(browser.failedModules, []);
    restarted.kill('SIGKILL');
  });

  test('history trimmed while away: recovery reported incomplete (history-gap) for that topic, then live messages', async () => {
    const { a, b, args } = await deployment(3);
    const both = await observersOn(a, 'trimmed');
    const publisher = publisherOn(b);
    await publisher.publish('trimmed', 'm1');
    for (const observer of both) await until(observer, 'm1', (r) => r.messages.length === 1);

    await kill(a);
    for (const observer of both) await until(observer, 'the drop', (r) => r.disconnected.length > 0);
    // Seven publications while away, and the history keeps three: m2..m5 are gone for good.
    for (let n = 2; n <= 8; n++) await publisher.publish('trimmed', `m${n}`);
    await startHubProcess(args, a.port);

    for (const observer of both) {
      const record = await until(observer, 'the resubscribe answer', (r) => r.subscribed.length === 2);
      assert.deepEqual(
        [record.subscribed[1]?.resubscribed, record.subscribed[1]?.recovered, record.subscribed[1]?.reason],
        [true, false, 'history-gap'],
        observer.name,
      );
      await until(observer, 'the recovered event', (r) => r.recovered.length === 1);
    }
    await publisher.publish('trimmed', 'live');
    for (const observer of both) {
      const record = await until(observer, 'the live message', (r) =>
        r.messages.some((m) => m.data === 'live'),
      );
      assert.deepEqual(record.recovered, [false], `${observer.name}: the application is told`);
      // Nothing of the trimmed stretch is replayed: m1 from before, then only what is new (m9).
      assert.deepEqual(
        record.messages.map((message) => [message.offset, message.data]),
        [
          [1, 'm1'],
          [9, 'live'],
        ],
        observer.name,
      );
      assert.equal(record.subscribed[1]?.position.offset, 8, 'the topic stood at m8 when it resubscribed');
      assert.equal(record.failed, null);
      assert.equal(record.state, 'connected');
    }
  });
});
