// examples/game in Chromium: pages on two processes sharing a real Redis play in one arena with the
// keyboard, see each other move and score; the process running the arena's tick is killed and
// started again mid-game, and both pages play on with their scores. Then the one-process mode.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { redisMissing } from '../helpers/redis-server.js';
import { chromium, skipUnless } from '../interop/harness/peer-availability.js';
import { launchChromium } from './harness/chromium-browser.js';
import { type ExamplePage, openExamplePage, waitInPage } from './harness/example-page.js';
import { type ExampleProcess, startExample } from './harness/example-process.js';
import { saveScreenshot } from './harness/screenshot.js';
import { startTwoProcesses, type TwoProcesses } from './harness/two-processes.js';

interface PlayerView {
  id: string;
  name: string;
  x: number;
  y: number;
  score: number;
}
interface GameView {
  connection: string;
  snapshots: number;
  term: number;
  tick: number | null;
  authority: string | null;
  me: (PlayerView & { ack: number }) | null;
  shown: { x: number; y: number } | null;
  players: PlayerView[];
  items: { id: number; x: number; y: number }[];
}
interface Status {
  process: string;
  arenas: { arena: string; authority: boolean; term: number; tick: number | null }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const view = (page: Page) => page.evaluate('window.game.view()') as Promise<GameView>;
const idOf = (page: Page) => page.evaluate('window.game.identity') as Promise<string>;

async function status(server: ExampleProcess): Promise<Status> {
  const response = await fetch(`${server.base}game/status`);
  assert.equal(response.status, 200);
  return (await response.json()) as Status;
}

/** Opens the game, names the player and waits until the page is in the arena. */
async function join(browser: Browser, server: ExampleProcess, name: string): Promise<ExamplePage> {
  const opened = await openExamplePage(browser, server.base);
  await opened.page.fill('#name', name);
  await opened.page.locator('#name').blur(); // the change event; keys go to the arena again
  await waitInPage(opened.page, `window.game.view().players.some((p) => p.name === ${JSON.stringify(name)})`);
  return opened;
}

/** Until `page` shows player `id` somewhere other than `from` (moved), or fails after the deadline. */
async function seesMove(page: Page, id: string, from: { x: number; y: number }): Promise<void> {
  const expression = `window.game.view().players.some((p) => p.id === ${JSON.stringify(id)} &&
    (p.x !== ${from.x} || p.y !== ${from.y}))`;
  await waitInPage(page, expression);
}

const ARROWS = { x: ['ArrowLeft', 'ArrowRight'], y: ['ArrowUp', 'ArrowDown'] } as const;
const WASD = { x: ['KeyA', 'KeyD'], y: ['KeyW', 'KeyS'] } as const;

/**
 * Holds a key down in `page` (a real key event) until `other` sees this page's player move. The key
 * moves along `axis` toward the middle of the arena, so a wall never stops it.
 */
async function moveAndBeSeen(
  page: Page,
  axis: 'x' | 'y',
  other: Page,
  keys: typeof ARROWS | typeof WASD = ARROWS,
) {
  const id = await idOf(page);
  const before = (await view(other)).players.find((player) => player.id === id);
  assert.ok(before, `${id} is in the other page's arena`);
  const middle = axis === 'x' ? 480 : 270;
  const key = keys[axis][before[axis] < middle ? 1 : 0];
  await page.keyboard.down(key);
  try {
    await seesMove(other, id, before);
  } finally {
    await page.keyboard.up(key);
  }
}

/**
 * Steers the page's own player with the arrow keys to the nearest coin until its score goes up
 * (seen in the page itself), and returns the new score. The keys are pressed and released as a
 * person would; the test only decides which ones from what the page shows.
 */
async function collectCoin(page: Page, timeoutMs = 30_000): Promise<number> {
  const start = (await view(page)).me?.score;
  assert.equal(typeof start, 'number', 'the page is in the arena');
  const held = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const game = await view(page);
      if (game.me && game.me.score > start!) return game.me.score;
      const at = game.shown ?? game.me;
      const want = new Set<string>();
      if (at && game.items.length > 0) {
        const distance = (item: { x: number; y: number }) => (item.x - at.x) ** 2 + (item.y - at.y) ** 2;
        const target = game.items.reduce((a, b) => (distance(b) < distance(a) ? b : a));
        if (target.x > at.x + 4) want.add('ArrowRight');
        if (target.x < at.x - 4) want.add('ArrowLeft');
        if (target.y > at.y + 4) want.add('ArrowDown');
        if (target.y < at.y - 4) want.add('ArrowUp');
      }
      for (const key of held) if (!want.has(key)) await page.keyboard.up(key);
      for (const key of want) if (!held.has(key)) await page.keyboard.down(key);
      held.clear();
      for (const key of want) held.add(key);
      await sleep(40); // the control loop's period; the deadline bounds it
    }
  } finally {
    for (const key of held) await page.keyboard.up(key);
  }
  throw new Error(`no coin collected within ${timeoutMs} ms: ${JSON.stringify(await view(page))}`);
}

async function scoreOf(page: Page, id: string): Promise<number | undefined> {
  return (await view(page)).players.find((player) => player.id === id)?.score;
}

describe('examples/game on two processes sharing Redis', {
  skip: redisMissing() || skipUnless(chromium()),
}, () => {
  let pair: TwoProcesses;
  let browser: Browser;
  const pages: ExamplePage[] = [];

  before(async () => {
    pair = await startTwoProcesses('game', ['--lease-ttl', '2000', '--items', '10']);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    const codes = await pair?.stop();
    assert.deepEqual(
      codes,
      [0, 0],
      `exit codes; stderr: ${pair?.processes.map((p) => p.stderr()).join('\n')}`,
    );
  });

  test('pages on different processes play in one arena, and play on when its authority is restarted', async (t) => {
    const [first, second] = pair.processes;
    const alice = await join(browser, first, 'alice');
    const bob = await join(browser, second, 'bob');
    pages.push(alice, bob);
    const aliceId = await idOf(alice.page);
    const bobId = await idOf(bob.page);
    await waitInPage(alice.page, `window.game.view().players.some((p) => p.id === '${bobId}')`);
    await waitInPage(bob.page, `window.game.view().players.some((p) => p.id === '${aliceId}')`);

    // Exactly one process runs the arena's tick.
    const statuses = await Promise.all(pair.processes.map(status));
    const authorities = statuses.filter((s) => s.arenas[0]!.authority);
    assert.equal(authorities.length, 1, JSON.stringify(statuses));
    const authorityIndex = statuses[0]!.arenas[0]!.authority ? 0 : 1;
    assert.equal((await view(alice.page)).authority, authorities[0]!.process);

    // Keyboard in one page, motion in the other, both ways; a coin collected in one is seen in both.
    await moveAndBeSeen(alice.page, 'x', bob.page);
    await moveAndBeSeen(bob.page, 'y', alice.page);
    const aliceScore = await collectCoin(alice.page);
    await waitInPage(
      bob.page,
      `window.game.view().players.find((p) => p.id === '${aliceId}')?.score >= ${aliceScore}`,
    );
    const bobScore = await collectCoin(bob.page);
    await waitInPage(
      alice.page,
      `window.game.view().players.find((p) => p.id === '${bobId}')?.score >= ${bobScore}`,
    );
    const latencies = await Promise.all(pages.map(({ page }) => page.textContent('#latency')));
    t.diagnostic(`input -> applied, as the pages show it (alice, bob): ${latencies.join(', ')}`);

    // Kill the authority's process (no goodbye: its lease must expire) and start it again.
    const before = await view(bob.page);
    const scoresBefore = new Map(before.players.map((player) => [player.id, player.score]));
    assert.ok(scoresBefore.get(aliceId)! >= aliceScore && scoresBefore.get(bobId)! >= bobScore);
    const killedLabel = statuses[authorityIndex]!.process;
    const restarted = await pair.restart(authorityIndex as 0 | 1);
    const laterTerm = `window.game.view().term > ${before.term} && window.game.view().connection === 'connected'`;
    await waitInPage(alice.page, laterTerm);
    await waitInPage(bob.page, laterTerm);
    const after = await view(bob.page);
    assert.notEqual(after.authority, killedLabel, 'another process ticks the arena now');
    // The new authority rebuilt the arena from its last snapshot: nobody lost a point (a player whose
    // last inputs were still on their way may have gained one).
    for (const id of [aliceId, bobId]) {
      const score = await scoreOf(bob.page, id);
      assert.ok(
        score !== undefined && score >= scoresBefore.get(id)!,
        `${id}: ${score}, before ${scoresBefore.get(id)}`,
      );
    }
    const again = await Promise.all([pair.processes[0], pair.processes[1]].map(status));
    assert.equal(again.filter((s) => s.arenas[0]!.authority).length, 1, JSON.stringify(again));

    // Both play on: the page whose process was restarted reconnected to the new one.
    await moveAndBeSeen(alice.page, 'x', bob.page);
    await moveAndBeSeen(bob.page, 'y', alice.page);
    const restartedPage = authorityIndex === 0 ? alice : bob;
    const otherPage = authorityIndex === 0 ? bob : alice;
    const restartedId = await idOf(restartedPage.page);
    const score = await collectCoin(restartedPage.page);
    assert.ok(score > (authorityIndex === 0 ? aliceScore : bobScore));
    await waitInPage(
      otherPage.page,
      `window.game.view().players.find((p) => p.id === '${restartedId}')?.score >= ${score}`,
    );
    assert.match(
      String(await restartedPage.page.textContent('#process')),
      new RegExp(`^pid ${restarted.child.pid}$`),
    );
    // The picture: a page on one process, the arena ticked by the other, after a takeover.
    await saveScreenshot(restartedPage.page, 'game');
    for (const opened of pages) assert.deepEqual(opened.problems(), []);
  });
});

describe('examples/game on one process', { skip: skipUnless(chromium()) }, () => {
  let server: ExampleProcess;
  let browser: Browser;

  before(async () => {
    server = await startExample('game', ['--items', '10']);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0, `exit code; stderr: ${server?.stderr()}`);
  });

  test('two pages see each other move and score; no Redis', async () => {
    const one = await join(browser, server, 'one');
    const two = await join(browser, server, 'two');
    const oneId = await idOf(one.page);
    await waitInPage(two.page, `window.game.view().players.some((p) => p.id === '${oneId}')`);
    assert.deepEqual(
      (await status(server)).arenas.map((a) => a.authority),
      [true],
    );
    await moveAndBeSeen(two.page, 'x', one.page, WASD);
    await moveAndBeSeen(one.page, 'y', two.page, WASD);
    const score = await collectCoin(one.page);
    await waitInPage(
      two.page,
      `window.game.view().players.find((p) => p.id === '${oneId}')?.score >= ${score}`,
    );
    assert.deepEqual(one.problems(), []);
    assert.deepEqual(two.problems(), []);
  });
});
