// The hub client in Chromium and in Node against servers that refuse it: no reconnect storm, and the
// refusal reaches the application. The servers count every connection attempt they see.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { type HubProcess, killAllHubProcesses, startHubProcess } from '../helpers/hub-process.js';
import { chromium as chromiumAvailability, skipUnless } from '../interop/harness/peer-availability.js';
import { Chromium, nodeObserver, type ObserverPage, until, type Watched } from './harness/observers.js';

const skip = skipUnless(chromiumAvailability());
/** How long the tests keep counting after a client gave up: any attempt then would be a retry. */
const QUIET_MS = 1000;

describe('hub client: authorization refused', { skip, timeout: 120_000 }, () => {
  let browser: Chromium;
  /** A real hub, only for the page's origin and its /client/ modules. */
  let site: HubProcess;
  let page: ObserverPage;
  const observers: Watched[] = [];
  const servers: WebSocketServer[] = [];

  before(async () => {
    browser = await Chromium.launch();
    site = await startHubProcess([]);
    page = await browser.page(`http://127.0.0.1:${site.port}`);
  });
  after(async () => {
    await browser?.close();
    killAllHubProcesses();
  });
  afterEach(async () => {
    for (const observer of observers.splice(0)) await observer.close().catch(() => {});
    for (const server of servers.splice(0)) await server.close({ timeout: 100 });
  });

  /** A server on its own port that counts the upgrade requests reaching it. */
  async function counting(options: ConstructorParameters<typeof WebSocketServer>[0]): Promise<{
    url: string;
    attempts: () => number;
  }> {
    let attempts = 0;
    const server = new WebSocketServer({
      ...options,
      authorize: (request) => {
        attempts++;
        return options?.authorize?.(request);
      },
    });
    servers.push(server);
    const { port } = await server.listen(0, '127.0.0.1');
    return { url: `ws://127.0.0.1:${port}/`, attempts: () => attempts };
  }

  const refusing401 = () =>
    counting({ subprotocols: ['fullduplex.hub.v1'], authorize: () => ({ status: 401, body: 'bad token' }) });

  test('401 in Node: one attempt, then failed with unauthorized (HTTP 401); never retried', async () => {
    const server = await refusing401();
    const observer = nodeObserver({
      url: server.url,
      topic: 't',
      reconnect: { initialDelay: 10, maxDelay: 10 },
    });
    observers.push(observer);
    const record = await until(observer, 'failed', (r) => r.failed !== null);
    assert.equal(record.failed?.code, 'unauthorized');
    assert.match(record.failed?.message ?? '', /HTTP 401/);
    await sleep(QUIET_MS);
    assert.equal(server.attempts(), 1);
    const quiet = await observer.record();
    assert.equal(quiet.attempts.length, 1);
    assert.equal(quiet.state, 'closed');
  });

  test('401 in Chromium: the page cannot see the status, so it backs off and gives up after maxAttempts; exactly that many attempts', async () => {
    const server = await refusing401();
    const observer = await page.observe({
      url: server.url,
      topic: 't',
      reconnect: { initialDelay: 100, maxDelay: 400, maxAttempts: 4 },
    });
    observers.push(observer);
    const record = await until(observer, 'failed', (r) => r.failed !== null);
    assert.equal(record.failed?.code, 'attempts-exhausted', JSON.stringify(record.failed));
    assert.ok(
      record.disconnected.every((event) => event.code === 1006),
      JSON.stringify(record.disconnected),
    );
    await sleep(QUIET_MS);
    assert.equal(server.attempts(), 4, 'four attempts reached the server, no more');
    assert.equal((await observer.record()).attempts.length, 4);
  });

  test('401 in Chromium with the default backoff: a handful of attempts in three seconds, not a storm', async () => {
    const server = await refusing401();
    const observer = await page.observe({ url: server.url, topic: 't' });
    observers.push(observer);
    await sleep(3000);
    await observer.close();
    const attempts = server.attempts();
    // Delays are drawn in [0, 500 ms × 2^(n-1)): the expected count in 3 s is about 4; more than 10
    // would take ten draws each near zero (odds below one in a million). A storm makes hundreds.
    assert.ok(attempts >= 1 && attempts <= 10, `${attempts} attempts in 3 s`);
    const record = await observer.record();
    assert.equal(record.attempts.length, attempts, 'every attempt the page made reached the server');
  });

  test("closed with 1008 before welcome, in both runtimes: failed with unauthorized and the server's reason, after one attempt", async () => {
    const server = await counting({
      subprotocols: ['fullduplex.hub.v1'],
      onConnection: (connection) => connection.close(1008, 'token expired'),
    });
    const options = { url: server.url, topic: 't', reconnect: { initialDelay: 10, maxDelay: 10 } };
    const both = [nodeObserver(options), await page.observe(options)];
    observers.push(...both);
    for (const observer of both) {
      const record = await until(observer, 'failed', (r) => r.failed !== null);
      assert.equal(record.failed?.code, 'unauthorized', observer.name);
      assert.match(record.failed?.message ?? '', /1008.*token expired/, observer.name);
      assert.deepEqual(
        record.disconnected.map((event) => [event.code, event.reason, event.willReconnect]),
        [[1008, 'token expired', false]],
        observer.name,
      );
    }
    await sleep(QUIET_MS);
    assert.equal(server.attempts(), 2, 'one attempt per client');
    for (const observer of both) assert.equal((await observer.record()).attempts.length, 1, observer.name);
  });
});
