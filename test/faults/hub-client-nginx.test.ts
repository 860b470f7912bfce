// The hub client in Chromium and in Node behind nginx, in front of two hub processes on one real
// redis-server; one process is SIGKILLed. Its clients come back through nginx to the other process and
// show every message published while they were away, in order, once; the others never notice.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { WebSocket } from '../../src/client/web-socket/web-socket.js';
import { HubClient } from '../../src/hub-client/index.js';
import { killAllHubProcesses, startHubProcess } from '../helpers/hub-process.js';
import { type Nginx, nginxMissing, startNginx } from '../helpers/nginx.js';
import { type RedisServer, redisMissing, startRedis } from '../helpers/redis-server.js';
import { chromium as chromiumAvailability, skipUnless } from '../interop/harness/peer-availability.js';
import type { ObserverRecord } from './harness/hub-observer.js';
import { Chromium, nodeObserver, until, type Watched } from './harness/observers.js';

const skip = redisMissing() || nginxMissing() || skipUnless(chromiumAvailability());
/** How long a dropped client waits before its first retry: longer than publishing m4..m8 takes. */
const AWAY_MS = 3000;

describe('hub client: two hub processes behind nginx, one killed', { skip, timeout: 120_000 }, () => {
  let browser: Chromium;
  let redis: RedisServer | undefined;
  let nginx: Nginx | undefined;
  const observers: Watched[] = [];
  let publisher: HubClient<string> | undefined;

  before(async () => {
    browser = await Chromium.launch();
  });
  after(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const observer of observers.splice(0)) await observer.close().catch(() => {});
    publisher?.close();
    await nginx?.stop();
    killAllHubProcesses();
    await redis?.stop();
  });

  test("the killed one's clients (page and Node) reconnect through nginx and recover all they missed; no duplicate, no gap", async () => {
    redis = await startRedis();
    const args = ['--redis', redis.url, '--history', '100'];
    const a = await startHubProcess(args);
    const b = await startHubProcess(args);
    nginx = await startNginx([a.port, b.port]);

    // The page's document and its modules come through nginx too.
    const page = await browser.page(`http://127.0.0.1:${nginx.port}`);
    const options = {
      url: `${nginx.url}/`,
      topic: 'feed',
      // Every retry at 99 % of its window: a dropped client is surely away while m4..m8 go out.
      reconnect: { initialDelay: AWAY_MS, maxDelay: AWAY_MS },
      jitter: 0.99,
    };
    // nginx sends consecutive connections to the two processes in turn (round robin), so two clients
    // per runtime, each opened once the one before is subscribed, put one of each on either process.
    for (const start of [
      () => page.observe(options, 'chromium 1'),
      () => page.observe(options, 'chromium 2'),
      async () => nodeObserver(options, 'node 1'),
      async () => nodeObserver(options, 'node 2'),
    ]) {
      const observer = await start();
      observers.push(observer);
      await until(observer, 'the first subscribe answer', (r) => r.subscribed.length === 1);
    }
    publisher = new HubClient<string>(`${b.url}/`, { WebSocket });
    publisher.connect();
    for (const n of [1, 2, 3]) await publisher.publish('feed', `m${n}`);
    for (const observer of observers) await until(observer, 'm1..m3', (r) => r.messages.length === 3);

    a.kill('SIGKILL');
    assert.equal(await a.exited, 'SIGKILL');
    const killedAt = Date.now();
    for (const n of [4, 5, 6, 7, 8]) await publisher.publish('feed', `m${n}`);
    const publishedWithin = Date.now() - killedAt;

    const records = new Map<Watched, ObserverRecord>();
    for (const observer of observers) {
      records.set(observer, await until(observer, 'm1..m8', (r) => r.messages.length >= 8));
    }
    const dropped = observers.filter((observer) => (records.get(observer)?.disconnected.length ?? 0) > 0);
    for (const runtime of ['chromium', 'node']) {
      assert.equal(
        dropped.filter((observer) => observer.runtime === runtime).length,
        1,
        `one ${runtime} client was on the killed process: dropped ${dropped.map((o) => o.name).join(', ')}`,
      );
    }
    for (const observer of dropped) {
      const record = records.get(observer) as ObserverRecord;
      const again = record.subscribed[1];
      assert.equal(again?.resubscribed, true, observer.name);
      assert.equal(again?.recovered, true, `${observer.name}: ${JSON.stringify(again)}`);
      // It was back only after m4..m8 were all published: they came from history, not live.
      const backAt = record.connected[1]?.at ?? 0;
      assert.ok(
        backAt > killedAt + publishedWithin,
        `${observer.name}: back ${backAt - killedAt} ms after the kill, m4..m8 published within ${publishedWithin} ms`,
      );
      assert.deepEqual(record.recovered, [true], observer.name);
    }
    await publisher.publish('feed', 'm9');
    for (const observer of observers) {
      const record = await until(observer, 'm9', (r) => r.messages.length === 9);
      assert.deepEqual(
        record.messages.map((message) => message.data),
        ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9'],
        observer.name,
      );
      assert.deepEqual(
        record.messages.map((message) => message.offset),
        [1, 2, 3, 4, 5, 6, 7, 8, 9],
        observer.name,
      );
      assert.equal(new Set(record.messages.map((message) => message.epoch)).size, 1);
      if (!dropped.includes(observer)) {
        assert.deepEqual(record.disconnected, [], `${observer.name} stayed connected`);
        assert.equal(record.subscribed.length, 1);
      }
      assert.equal(record.failed, null);
      assert.deepEqual(record.errors, []);
    }
    assert.deepEqual(browser.failedModules, []);
  });
});
