// The hub client in Chromium and in Node against a hub process stopped with SIGSTOP: the network
// stalls without a FIN. Browsers cannot ping, so the client's application-level heartbeat (twice the
// interval the hub announces) notices the silence and reconnects; after SIGCONT it is back and has
// what was published, once.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { WebSocket } from '../../src/client/web-socket/web-socket.js';
import { HubClient } from '../../src/hub-client/index.js';
import { type HubProcess, killAllHubProcesses, startHubProcess } from '../helpers/hub-process.js';
import { chromium as chromiumAvailability, skipUnless } from '../interop/harness/peer-availability.js';
import { Chromium, nodeObserver, until, type Watched } from './harness/observers.js';

const skip = skipUnless(chromiumAvailability());
/** `serve --ping-interval`: the hub pings every 500 ms, so a client's heartbeat timeout is 1 s. */
const PING_MS = 500;
const HEARTBEAT_MS = 2 * PING_MS;
/** What a loaded machine may add to a timer before the client acts on it. */
const SLACK_MS = 2500;

describe('hub client: the hub process stops (SIGSTOP), the connection stalls without a FIN', {
  skip,
  timeout: 120_000,
}, () => {
  let browser: Chromium;
  let hub: HubProcess | undefined;
  const observers: Watched[] = [];
  let publisher: HubClient<string> | undefined;

  before(async () => {
    browser = await Chromium.launch();
  });
  after(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    // A stopped process is let go before it is killed, whatever happened in the test.
    hub?.kill('SIGCONT');
    for (const observer of observers.splice(0)) await observer.close().catch(() => {});
    publisher?.close();
    killAllHubProcesses();
  });

  test('the heartbeat notices within its time, attempts while stopped time out, and after SIGCONT all is back', async () => {
    hub = await startHubProcess(['--ping-interval', String(PING_MS), '--history', '10']);
    const page = await browser.page(`http://127.0.0.1:${hub.port}`);
    const options = {
      url: `${hub.url}/`,
      topic: 'pulse',
      connectTimeout: 1500,
      reconnect: { initialDelay: 200, maxDelay: 1000 },
    };
    observers.push(nodeObserver(options), await page.observe(options));
    for (const observer of observers) {
      const record = await until(observer, 'subscribed', (r) => r.subscribed.length === 1);
      assert.equal(record.connected[0]?.ping, PING_MS / 1000, 'the hub announced its interval');
    }
    publisher = new HubClient<string>(`${hub.url}/`, { WebSocket });
    publisher.connect();
    await publisher.publish('pulse', 'before');
    for (const observer of observers) await until(observer, 'before', (r) => r.messages.length === 1);

    const stoppedAt = Date.now();
    hub.kill('SIGSTOP');
    for (const observer of observers) {
      const record = await until(observer, 'the heartbeat timeout', (r) => r.disconnected.length > 0, 10_000);
      const first = record.disconnected[0];
      assert.equal(first?.reason, 'heartbeat timeout', `${observer.name}: ${JSON.stringify(first)}`);
      assert.equal(first?.willReconnect, true);
      const noticedAfter = (first?.at ?? 0) - stoppedAt;
      // The last ping came at most one interval before the stop, so silence is noticed between
      // HEARTBEAT - PING and HEARTBEAT after it (plus what the machine's load adds).
      assert.ok(
        noticedAfter >= HEARTBEAT_MS - PING_MS - 100 && noticedAfter <= HEARTBEAT_MS + SLACK_MS,
        `${observer.name} noticed ${noticedAfter} ms after SIGSTOP`,
      );
    }
    // The kernel still accepts TCP connections for the stopped process; no handshake completes there,
    // and the client gives each attempt connectTimeout, not forever.
    for (const observer of observers) {
      await until(observer, 'a connect timeout', (r) =>
        r.disconnected.some((d) => d.reason === 'connect timeout'),
      );
      assert.notEqual((await observer.record()).state, 'connected');
    }

    hub.kill('SIGCONT');
    for (const observer of observers) {
      const record = await until(observer, 'the resubscribe answer', (r) => r.subscribed.length === 2);
      assert.ok(record.connected.at(-1)?.reconnected, observer.name);
      assert.equal(record.subscribed[1]?.recovered, true, `${observer.name}: same process, same epoch`);
    }
    await publisher.publish('pulse', 'after');
    for (const observer of observers) {
      const record = await until(observer, 'after', (r) => r.messages.length === 2);
      assert.deepEqual(
        record.messages.map((message) => [message.offset, message.data]),
        [
          [1, 'before'],
          [2, 'after'],
        ],
        observer.name,
      );
      assert.equal(record.failed, null);
    }
    assert.deepEqual(browser.failedModules, []);
  });
});
