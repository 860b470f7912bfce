// examples/notifications in Chromium: per-user topics behind signed tokens, on two processes sharing
// a real Redis. A notification POSTed to either process reaches every tab of its user and no one
// else's; a user cannot subscribe to another's topic; a tab closed meanwhile, and a tab whose
// process was killed and restarted, get what was sent while they were away; forged and expired
// tokens are refused with their reason and no retries. Also one process with no Redis.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { redisMissing } from '../helpers/redis-server.js';
import { chromium, skipUnless } from '../interop/harness/peer-availability.js';
import { launchChromium } from './harness/chromium-browser.js';
import { waitInPage } from './harness/example-page.js';
import { type ExampleProcess, startExample } from './harness/example-process.js';
import { collectPageProblems } from './harness/page-problems.js';
import { saveScreenshot } from './harness/screenshot.js';
import { startTwoProcesses, type TwoProcesses } from './harness/two-processes.js';

// What is sent: alice's four, bob's one.
const A1 = 'Welcome back, Alice';
const A2 = 'Bob commented on your photo';
const A3 = 'Your order #1042 has shipped';
const A4 = 'The 3 pm meeting moved to 4 pm';
const B1 = 'Your invoice for May is ready';

// Hex, not base64url: values starting with '-' would read as another option on the command line.
const SECRET = randomBytes(24).toString('hex');
const NOTIFY_KEY = randomBytes(12).toString('hex');

/** A token as the README describes it, made here from the secret (not by the example's code). */
function token(user: string, expires: number, secret = SECRET): string {
  const payload = Buffer.from(JSON.stringify({ sub: user, exp: expires })).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

async function notify(server: ExampleProcess, user: string, text: string, key = NOTIFY_KEY): Promise<number> {
  const response = await fetch(`${server.base}notify`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ user, text }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** What a person would see in the console, minus Chromium's line for each retry while a server is down. */
const RETRY_NOISE = /^console error: WebSocket connection to '.*' failed/;

interface Tab {
  readonly page: Page;
  /** WebSocket connections the page opened so far. */
  readonly sockets: () => number;
  readonly problems: () => string[];
}

async function openTab(context: BrowserContext, server: ExampleProcess): Promise<Tab> {
  const page = await context.newPage();
  const problems = collectPageProblems(page);
  let sockets = 0;
  page.on('websocket', () => sockets++);
  await page.goto(server.base);
  return { page, sockets: () => sockets, problems: () => problems.filter((p) => !RETRY_NOISE.test(p)) };
}

async function login(tab: Tab, user: string): Promise<void> {
  await tab.page.fill('#login-user', user);
  await tab.page.click('#login button');
  await waitInPage(tab.page, `document.querySelector('#status')?.dataset.state === 'connected'`);
}

/** Waits until the page lists exactly `texts` (any order), no more, no fewer. */
async function shows(tab: Tab, texts: string[]): Promise<void> {
  const expected = JSON.stringify([...texts].sort());
  await waitInPage(
    tab.page,
    `JSON.stringify([...document.querySelectorAll('#list li .text')].map((e) => e.textContent).sort()) === ${JSON.stringify(expected)}`,
  );
}

/** Inside `tab`, with its own token, a second client asks for `topic`: the subscription's outcome. */
async function trySubscribe(tab: Tab, topic: string): Promise<unknown> {
  return tab.page.evaluate(`(async () => {
    const { HubClient } = await import('/client/index.js');
    const { token } = JSON.parse(localStorage.getItem('notifications.session'));
    const client = new HubClient('ws://' + location.host + '/hub?token=' + encodeURIComponent(token));
    const subscription = client.subscribe(${JSON.stringify(topic)});
    const outcome = new Promise((resolve) => {
      subscription.on('error', (error) => resolve(error.code));
      subscription.on('subscribed', () => resolve('subscribed'));
    });
    client.connect();
    const result = await outcome;
    client.close();
    return result;
  })()`);
}

describe('examples/notifications', () => {
  const skip = skipUnless(chromium()) || redisMissing();
  let browser: Browser | undefined;
  let two: TwoProcesses | undefined;
  let single: ExampleProcess | undefined;

  after(async () => {
    await browser?.close();
    await two?.stop();
    await single?.stop();
  });

  test('two processes with Redis: every tab of a user and no one else, authorization, tabs away and a restart', {
    skip,
  }, async () => {
    two = await startTwoProcesses('notifications', ['--secret', SECRET, '--notify-key', NOTIFY_KEY]);
    const servers = two.processes;
    // POST /notify is for server code holding the key.
    assert.equal(await notify(servers[0], 'alice', 'x', 'wrong-key'), 401);
    assert.equal(await notify(servers[0], 'alice', ''), 400);
    assert.equal(await notify(servers[0], 'Alice!', 'x'), 400);

    browser = await launchChromium();
    const viewport = { width: 900, height: 560 };
    const aliceFirst = await browser.newContext({ viewport });
    const aliceSecond = await browser.newContext({ viewport });
    const bobContext = await browser.newContext({ viewport });
    const a1 = await openTab(aliceFirst, servers[0]);
    const a2 = await openTab(aliceSecond, servers[1]);
    const b = await openTab(bobContext, servers[0]);
    await login(a1, 'alice');
    await login(a2, 'alice'); // a token from process 1, used on process 1; a1's came from process 0
    await login(b, 'bob');

    // Sent through process 0: both of alice's tabs, on both processes; not bob's.
    assert.equal(await notify(servers[0], 'alice', A1), 202);
    await shows(a1, [A1]);
    await shows(a2, [A1]);
    assert.equal(await notify(servers[1], 'bob', B1), 202);
    await shows(b, [B1]);
    await shows(a1, [A1]);

    // Bob's token does not open alice's topic, nor one that merely starts with his id.
    assert.equal(await trySubscribe(b, 'user.alice'), 'forbidden');
    assert.equal(await trySubscribe(b, 'user.bobby'), 'forbidden');
    assert.equal(await trySubscribe(b, 'user.bob.mentions'), 'subscribed');

    // Alice's second tab closes; process 0 (a1's and bob's) is killed. Two are sent meanwhile.
    await a2.page.close();
    await servers[0].kill();
    assert.equal(await notify(servers[1], 'alice', A2), 202);
    assert.equal(await notify(servers[1], 'alice', A3), 202);
    await two.restart(0);
    // Tab a1 reconnects to the new process 0 and recovers both from history, A1 not repeated.
    await shows(a1, [A1, A2, A3]);
    await shows(b, [B1]);
    // The closed tab opens again (same browser profile): from its stored position, the two it missed.
    const a2again = await openTab(aliceSecond, servers[1]);
    await shows(a2again, [A1, A2, A3]);
    const fresh = await a2again.page.evaluate(
      `[...document.querySelectorAll('#list li.new .text')].map((e) => e.textContent).sort()`,
    );
    assert.deepEqual(fresh, [A2, A3]);

    // Through the restarted process: both tabs.
    assert.equal(await notify(servers[0], 'alice', A4), 202);
    await shows(a1, [A1, A2, A3, A4]);
    await shows(a2again, [A1, A2, A3, A4]);
    await shows(b, [B1]);
    await saveScreenshot(a2again.page, 'notifications');

    // Expired and forged tokens: refused once, with the reason, and the client stops (no retries).
    const refused: Tab[] = [];
    for (const [bad, reason] of [
      [token('alice', Date.now() - 1000), 'token expired'],
      [token('alice', Date.now() + 60_000, 'another secret'), 'token signature does not match'],
    ] as const) {
      const tab = await openTab(await browser.newContext({ viewport }), servers[1]);
      // A stored position, so the page goes straight to the WebSocket (no HTTP inbox read first).
      await tab.page.evaluate(`(() => {
        localStorage.setItem('notifications.session', ${JSON.stringify(JSON.stringify({ user: 'alice', token: bad }))});
        localStorage.setItem('notifications.inbox.alice', JSON.stringify({ position: { offset: 0, epoch: 'x' }, items: [] }));
      })()`);
      await tab.page.reload();
      await waitInPage(
        tab.page,
        `document.querySelector('#refused').textContent.includes(${JSON.stringify(reason)})`,
      );
      await waitInPage(tab.page, `document.querySelector('#status').dataset.state === 'closed'`);
      assert.equal(await tab.page.isVisible('#login'), true);
      refused.push(tab);
    }
    // Meanwhile (two page loads later) neither opened another connection.
    for (const tab of refused) assert.equal(tab.sockets(), 1);

    for (const tab of [a1, a2, a2again, b, ...refused]) assert.deepEqual(tab.problems(), []);
  });

  test('one process, no Redis: log in, a notification arrives, a bad key is refused', {
    skip: skipUnless(chromium()),
  }, async () => {
    single = await startExample('notifications', ['--notify-key', NOTIFY_KEY]);
    browser ??= await launchChromium();
    const tab = await openTab(await browser.newContext(), single);
    await login(tab, 'carol');
    assert.equal(await notify(single, 'carol', 'hello carol'), 202);
    assert.equal(await notify(single, 'carol', 'no', 'not the key'), 401);
    await shows(tab, ['hello carol']);
    assert.deepEqual(tab.problems(), []);
    assert.equal(await single.stop(), 0);
  });
});
