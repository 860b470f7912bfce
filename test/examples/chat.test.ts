// examples/chat in headless Chromium: pages on two processes sharing a real Redis chat, see who is
// here and who is typing, and one process is killed and restarted mid-conversation: its page shows
// what was said meanwhile, once each and in order, and what it typed while offline goes out. Then
// the same room on one process with no Redis, and the rules the server sets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from '../../src/client/web-socket/web-socket.js';
import { HubClient, type HubClientError } from '../../src/hub-client/index.js';
import { redisMissing } from '../helpers/redis-server.js';
import { chromium, skipUnless } from '../interop/harness/peer-availability.js';
import { launchChromium } from './harness/chromium-browser.js';
import { type ExamplePage, openExamplePage, waitInPage } from './harness/example-page.js';
import { type ExampleProcess, startExample } from './harness/example-process.js';
import { saveScreenshot } from './harness/screenshot.js';
import { startTwoProcesses, type TwoProcesses } from './harness/two-processes.js';

const TIMEOUT = 20_000;
const skipChromium = skipUnless(chromium());

function chatUrl(server: ExampleProcess, nick: string, room = 'lobby'): string {
  return `${server.base}?room=${room}&nick=${nick}`;
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#send input', text);
  await page.press('#send input', 'Enter');
}

/** `offset text` of every message the page shows, in page order. */
async function shownMessages(page: Page): Promise<string[]> {
  return (await page.evaluate(
    "[...document.querySelectorAll('#conversation .messages li')].map((li) => li.dataset.offset + ' ' + li.lastChild.textContent)",
  )) as string[];
}

async function waitForMessage(page: Page, text: string): Promise<void> {
  await page.locator('#conversation .messages li', { hasText: text }).waitFor({ timeout: TIMEOUT });
}

async function waitForState(page: Page, state: string): Promise<void> {
  await waitInPage(page, `document.getElementById('status').dataset.state === '${state}'`, TIMEOUT);
}

async function waitForMembers(page: Page, nicks: string[]): Promise<void> {
  const expected = JSON.stringify(nicks);
  await waitInPage(
    page,
    `JSON.stringify([...document.querySelectorAll('#members li')].map((li) => li.dataset.nick)) === '${expected}'`,
    TIMEOUT,
  );
}

/** Offsets 1..n, each once, in order: nothing lost, nothing repeated. */
function assertNoGapNoDuplicate(lines: string[]): void {
  const offsets = lines.map((line) => Number(line.split(' ')[0]));
  assert.deepEqual(
    offsets,
    offsets.map((_, index) => index + 1),
    `offsets in page order: ${lines.join(' | ')}`,
  );
}

describe('examples/chat on two processes sharing Redis', { skip: skipChromium || redisMissing() }, () => {
  let pair: TwoProcesses;
  let browser: Browser;
  const pages: ExamplePage[] = [];

  before(async () => {
    pair = await startTwoProcesses('chat');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    const codes = await pair?.stop();
    assert.deepEqual(codes, [0, 0], 'both stop cleanly on SIGTERM');
  });

  test('alice on one process and bob on the other chat, see each other here and typing; a restart loses nothing', async () => {
    const [first, second] = pair.processes;
    const alice = await openExamplePage(browser, chatUrl(first, 'alice'));
    const bob = await openExamplePage(browser, chatUrl(second, 'bob'));
    pages.push(alice, bob);
    for (const { page } of pages) {
      await waitForState(page, 'connected');
      await waitForMembers(page, ['alice', 'bob']);
    }

    // Typing is seen across processes, and ends when the line is sent.
    await alice.page.locator('#send input').pressSequentially('hel');
    await bob.page.locator('#typing', { hasText: 'alice is typing…' }).waitFor({ timeout: TIMEOUT });
    await say(alice.page, 'hello bob');
    await waitForMessage(bob.page, 'hello bob');
    await waitInPage(bob.page, "document.getElementById('typing').textContent === ''", TIMEOUT);
    await say(bob.page, 'hi alice');
    await waitForMessage(alice.page, 'hi alice');

    // alice's process dies; bob talks on; alice types while offline; the process comes back.
    await pair.processes[0].kill();
    await waitInPage(alice.page, "document.getElementById('status').dataset.state !== 'connected'", TIMEOUT);
    for (const text of ['while you were away 1', 'while you were away 2', 'while you were away 3']) {
      await say(bob.page, text);
      await waitForMessage(bob.page, text);
    }
    await say(alice.page, 'typed while offline');
    await alice.page.locator('#conversation .pending', { hasText: 'typed while offline' }).waitFor();
    await pair.restart(0);
    await waitForState(alice.page, 'connected');
    await waitForMessage(alice.page, 'while you were away 3');
    await waitForMessage(bob.page, 'typed while offline');
    await waitForMessage(alice.page, 'typed while offline');
    await say(bob.page, 'welcome back');
    // Each page shows a line once the hub has given it its offset: wait for both, not only alice's.
    await waitForMessage(alice.page, 'welcome back');
    await waitForMessage(bob.page, 'welcome back');

    const seenByAlice = await shownMessages(alice.page);
    const seenByBob = await shownMessages(bob.page);
    assert.deepEqual(seenByAlice, seenByBob, 'both pages show the same conversation');
    assert.equal(seenByAlice.length, 7);
    assertNoGapNoDuplicate(seenByAlice);
    assert.equal(await alice.page.locator('#conversation .notice').count(), 0, 'no loss was reported');
    assert.equal(await alice.page.locator('#conversation .pending').count(), 0);
    await waitForMembers(alice.page, ['alice', 'bob']);

    // A late joiner gets the history; typing was never kept.
    const carol = await openExamplePage(browser, chatUrl(second, 'carol'));
    pages.push(carol);
    await waitForMessage(carol.page, 'welcome back');
    assert.deepEqual(await shownMessages(carol.page), seenByAlice);
    await waitForMembers(alice.page, ['alice', 'bob', 'carol']);
    const reader = new HubClient(`${second.ws}/hub?nick=reader`, { WebSocket });
    reader.connect();
    await new Promise((resolve) => reader.on('connected', resolve));
    const typingHistory = await reader.history('chat.lobby.typing', { limit: 100 });
    assert.ok(typingHistory.ok && typingHistory.messages.length === 0, 'typing states are not kept');
    const roomHistory = await reader.history('chat.lobby', { limit: 100 });
    assert.ok(roomHistory.ok && roomHistory.messages.length === 7);
    reader.close();

    // The picture for the README: bob is typing, carol is here.
    await bob.page.locator('#send input').pressSequentially('see you');
    await alice.page.locator('#typing', { hasText: 'bob is typing…' }).waitFor({ timeout: TIMEOUT });
    await alice.page.setViewportSize({ width: 900, height: 440 });
    await saveScreenshot(alice.page, 'chat');
    for (const page of pages) assert.deepEqual(page.problems(), []);
  });
});

describe('examples/chat on one process (no Redis)', { skip: skipChromium }, () => {
  let server: ExampleProcess;
  let browser: Browser;

  before(async () => {
    server = await startExample('chat');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
  });

  test('two pages chat; after a restart both reconnect and say that earlier messages were lost', async () => {
    const ann = await openExamplePage(browser, chatUrl(server, 'ann', 'garden'));
    const ben = await openExamplePage(browser, chatUrl(server, 'ben', 'garden'));
    await waitForMembers(ann.page, ['ann', 'ben']);
    await say(ann.page, 'one process');
    await waitForMessage(ben.page, 'one process');

    const port = server.port;
    await server.kill();
    server = await startExample('chat', [], port);
    for (const { page } of [ann, ben]) {
      await waitForState(page, 'connected');
      await page.locator('#conversation .notice', { hasText: 'lost' }).waitFor({ timeout: TIMEOUT });
      await waitForMembers(page, ['ann', 'ben']);
    }
    await say(ben.page, 'still here');
    await waitForMessage(ann.page, 'still here');
    assert.deepEqual(
      (await shownMessages(ann.page)).map((line) => line.replace(/^\d+ /, '')),
      ['one process', 'still here'],
    );
    for (const page of [ann, ben]) assert.deepEqual(page.problems(), []);
  });

  test('without a nickname the form asks for one, and joins with it', async () => {
    const { page, problems } = await openExamplePage(browser, `${server.base}?room=porch`);
    await page.fill('#join input[name="nick"]', 'dora');
    await page.click('#join button');
    await waitForState(page, 'connected');
    assert.match(page.url(), /room=porch&nick=dora/);
    await waitForMembers(page, ['dora']);
    assert.deepEqual(problems(), []);
  });

  test('the server allows only chat topics, to connections with a nickname, and small messages', async () => {
    const refusal = async (url: string, act: (client: HubClient) => Promise<unknown>): Promise<string> => {
      const client = new HubClient(url, { WebSocket });
      client.connect();
      await new Promise((resolve) => client.on('connected', resolve));
      try {
        await act(client);
        return 'allowed';
      } catch (error) {
        return (error as HubClientError).code;
      } finally {
        client.close();
      }
    };
    const subscribeTo = (topic: string) => (client: HubClient) =>
      new Promise((resolve, reject) => {
        const subscription = client.subscribe(topic);
        subscription.on('subscribed', resolve);
        subscription.on('error', reject);
      });
    assert.equal(await refusal(`${server.ws}/hub`, subscribeTo('chat.lobby')), 'forbidden');
    assert.equal(await refusal(`${server.ws}/hub?nick=eve`, subscribeTo('secrets')), 'forbidden');
    assert.equal(await refusal(`${server.ws}/hub?nick=eve`, subscribeTo('chat.lobby')), 'allowed');
    const big = { nick: 'eve', text: 'x'.repeat(5000), time: 0 };
    assert.equal(
      await refusal(`${server.ws}/hub?nick=eve`, (client) => client.publish('chat.lobby', big)),
      'too-big',
    );
  });
});
