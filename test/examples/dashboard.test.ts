// examples/dashboard: the live ticker, run as a child process and read by the `ws` client and by
// Chromium. The point of the example is 'latest-by-key': a client that stops reading gets, once it
// reads again, at most one queued update per symbol rather than everything it missed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromium, skipUnless } from '../interop/harness/peer-availability.js';
import { launchChromium } from './harness/chromium-browser.js';
import { type ExampleProcess, startExample } from './harness/example-process.js';
import { type Json, JsonPeer } from './harness/json-peer.js';
import { collectPageProblems } from './harness/page-problems.js';

interface ConnectionStats {
  id: number;
  bufferedAmount: number;
  messagesReplaced: number;
}
interface Stats {
  symbols: number;
  ticks: number;
  connections: ConnectionStats[];
}

const isTick = (message: Json): boolean => message.type === 'tick';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function fetchStats(server: ExampleProcess): Promise<Stats> {
  const response = await fetch(`${server.base}stats`);
  assert.equal(response.status, 200);
  return (await response.json()) as Stats;
}

describe('examples/dashboard with the ws client', () => {
  // 200 symbols that all trade every 5 ms: ~40,000 updates/s, enough to fill the kernel's socket
  // buffers within a second or two (they hold megabytes on loopback), so the library's own queue is
  // what the slow-client test observes.
  const SYMBOLS = 200;
  let server: ExampleProcess;
  const peers: JsonPeer[] = [];

  before(async () => {
    server = await startExample('dashboard', [
      '--symbols',
      String(SYMBOLS),
      '--interval',
      '5',
      '--activity',
      '1',
    ]);
  });
  after(async () => {
    for (const peer of peers) peer.terminate();
    const code = await server?.stop();
    assert.equal(code, 0, `exit code; stderr: ${server?.stderr()}`);
  });

  async function open(): Promise<{ peer: JsonPeer; hello: Json }> {
    const peer = await JsonPeer.open(`${server.ws}/live`);
    peers.push(peer);
    const hello = await peer.next((message) => message.type === 'hello');
    return { peer, hello };
  }

  test('a snapshot of every symbol on connect, then updates of the subscribed symbols only', async () => {
    const { peer, hello } = await open();
    const quotes = hello.quotes as { symbol: string; price: number }[];
    assert.equal(quotes.length, SYMBOLS);
    const wanted = [quotes[0]!.symbol, quotes[7]!.symbol];
    peer.send({ type: 'subscribe', symbols: [...wanted, 'NOPE'] });
    const ack = await peer.next((message) => message.type === 'subscribed');
    assert.deepEqual(ack.symbols, wanted);
    assert.deepEqual(ack.unknown, ['NOPE']);

    // Updates queued before the ack may still name any symbol; after it, only the two.
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const tick = await peer.next(isTick);
      assert.ok(wanted.includes(tick.symbol as string), `unsubscribed symbol ${tick.symbol}`);
      assert.equal(typeof tick.price, 'number');
      seen.add(tick.symbol as string);
    }
    assert.deepEqual([...seen].sort(), [...wanted].sort());
  });

  test('invalid input gets an error message and the stream goes on', async () => {
    const { peer } = await open();
    peer.send('{not json');
    const error = await peer.next((message) => message.type === 'error');
    assert.equal(error.error, 'message is not valid JSON');
    peer.send({ type: 'subscribe', symbols: 42 });
    const invalid = await peer.next((message) => message.type === 'error');
    assert.equal(invalid.error, 'message failed validation');
    await peer.next(isTick);
    assert.equal(peer.closeInfo, undefined);
  });

  test('a client that stops reading gets at most one pending update per symbol, not a backlog', async () => {
    const { peer, hello } = await open();
    const id = hello.id as number;
    const mine = (stats: Stats) => {
      const found = stats.connections.find((connection) => connection.id === id);
      assert.ok(found, `connection ${id} in /stats`);
      return found;
    };
    await peer.next(isTick);
    const socket = (peer.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();

    // Stage A: the kernel's buffers and the socket's are full. From now on every update is held in
    // the connection's queue, so the first replacement marks the moment: updates of later ticks can
    // only reach the client from that queue.
    let stats = await fetchStats(server);
    for (let i = 0; i < 300 && mine(stats).messagesReplaced === 0; i++) {
      await sleep(100);
      stats = await fetchStats(server);
    }
    assert.ok(mine(stats).messagesReplaced > 0, 'the paused client never fell behind within 30 s');
    const tickA = stats.ticks;
    const replacedA = mine(stats).messagesReplaced;

    // Stage B: let the queue collapse at least ten updates per symbol.
    for (let i = 0; i < 300 && mine(stats).messagesReplaced < replacedA + 10 * SYMBOLS; i++) {
      await sleep(50);
      stats = await fetchStats(server);
    }
    const tickB = stats.ticks;
    const collapsed = mine(stats).messagesReplaced - replacedA;
    assert.ok(collapsed >= 10 * SYMBOLS, `only ${collapsed} updates were replaced`);
    // With 'wait' this would hold every one of them; here it stays near one update per symbol plus
    // what the socket took before it blocked.
    assert.ok(mine(stats).bufferedAmount < 256 * 1024, `bufferedAmount ${mine(stats).bufferedAmount}`);

    const resumedAt = peer.messages.length;
    socket.resume();
    // Read until updates from well after the resume arrive: the backlog is behind us.
    await peer.next((message) => isTick(message) && (message.seq as number) > tickB + 20, 30_000);
    const afterResume = peer.messages.slice(resumedAt).filter(isTick);
    // The first thing to arrive is what the kernel already held (megabytes on loopback, updates from
    // before A): no library can take back bytes handed to the OS, so that part is not counted. The
    // updates of ticks after A and up to B were produced while the client was blocked, into the
    // connection's queue: with 'wait' all `collapsed` of them would arrive now; with 'latest-by-key'
    // each symbol's slot was overwritten by newer ticks, so almost none survive.
    const held = afterResume.filter((m) => (m.seq as number) > tickA && (m.seq as number) <= tickB);
    const perSymbol = new Map<string, number>();
    for (const message of held) {
      perSymbol.set(message.symbol as string, (perSymbol.get(message.symbol as string) ?? 0) + 1);
    }
    // Without 'latest-by-key' this would be about `collapsed` (>= 10 per symbol). Allow 2 per symbol:
    // an update handed to the socket just before it blocked is not the queue's to replace.
    assert.ok(
      held.length <= 2 * SYMBOLS,
      `${held.length} updates from the blocked period, ${SYMBOLS} symbols`,
    );
    assert.ok(
      Math.max(0, ...perSymbol.values()) <= 2,
      `per symbol: ${JSON.stringify(Object.fromEntries(perSymbol))}`,
    );
  });
});

describe('examples/dashboard in Chromium', () => {
  const skip = skipUnless(chromium());
  let server: ExampleProcess | undefined;
  let browser: Browser | undefined;

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the page fills the table, flashes updates and counts them', { skip }, async () => {
    server = await startExample('dashboard');
    browser = await launchChromium();
    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    // Every flash, recorded when the page starts it: its colour and the change column beside it.
    // (A script string: the tests compile without the DOM types.)
    await page.addInitScript({
      content: `
        window.flashes = [];
        const animate = Element.prototype.animate;
        Element.prototype.animate = function (keyframes, options) {
          const first = Array.isArray(keyframes) ? keyframes[0] : undefined;
          const change = this.querySelector('.change')?.textContent ?? '';
          window.flashes.push({ color: String(first?.backgroundColor ?? ''), change });
          return animate.call(this, keyframes, options);
        };`,
    });
    await page.goto(server.base);
    await page.locator('#status[data-state="open"]').waitFor({ timeout: 10_000 });
    await page.locator('#quotes tbody tr').nth(19).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#quotes tbody tr').count(), 20);
    const acme = page.locator('#quotes tr[data-symbol="ACME"] .price');
    const first = await acme.textContent();
    assert.match(first ?? '', /^\d+\.\d\d$/);
    // The counter ticks once a second; the ticker sends ~40 updates/s.
    await page.locator('#rate', { hasText: /^[1-9]\d* updates\/s$/ }).waitFor({ timeout: 10_000 });

    // A green flash sits beside a rising change (+), a red one beside a falling change (-).
    await page.waitForFunction('window.flashes.length >= 30', null, { timeout: 10_000 });
    const flashes = (await page.evaluate('window.flashes')) as Array<{ color: string; change: string }>;
    const contradictions = flashes.filter(
      ({ color, change }) =>
        (color === '#1a9a4a55') !== change.startsWith('+') || !/^#(1a9a4a|d0343a)55$/.test(color),
    );
    assert.deepEqual(contradictions, [], `${flashes.length} flashes`);

    // Unsubscribe from everything but ACME: the server confirms and the other rows are muted.
    await page.click('#none');
    await page.check('#quotes tr[data-symbol="ACME"] input');
    await page.locator('#subscription', { hasText: 'watching 1 of 20' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#quotes tr.muted').count(), 19);
    await page
      .locator('#quotes tr[data-symbol="ACME"] .price', { hasNotText: first ?? '' })
      .waitFor({ timeout: 10_000 });

    const code = await server.stop();
    assert.equal(code, 0);
    await page.locator('#status[data-state="closed"]').waitFor({ timeout: 10_000 });
    assert.deepEqual(problems, []);
  });
});
