// examples/dashboard, the ticker: 300 symbols on the hub, fed by exactly one process per group (a
// lease in Redis). In Chromium: pages on two processes sharing a real Redis show every symbol; the
// process feeding most groups is killed, the other takes its groups over, the killed one restarts
// and its page recovers. A client that stops reading (the `ws` package, its socket paused) gets the
// newest price per symbol from the server's queue, not a backlog, and a page whose main thread is
// blocked catches up at once; with `--backpressure wait` the server's queue grows instead.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { redisMissing } from '../helpers/redis-server.js';
import { chromium, skipUnless } from '../interop/harness/peer-availability.js';
import { launchChromium } from './harness/chromium-browser.js';
import { type ExamplePage, openExamplePage, waitInPage } from './harness/example-page.js';
import { type ExampleProcess, startExample } from './harness/example-process.js';
import { saveScreenshot } from './harness/screenshot.js';
import { startTwoProcesses, type TwoProcesses } from './harness/two-processes.js';

const TIMEOUT = 20_000;
const GROUPS = 10;
const SYMBOLS = 300;
const skipChromium = skipUnless(chromium());
// The pages' feed: 300 symbols, a tenth moving every 100 ms (300 prices a second), so that a loaded
// machine's Chromium keeps up; the example's default is three times that.
const PAGE_FEED = ['--activity', '0.1'];

interface Stats {
  process: string;
  feeds: { group: number; feeding: boolean; term: number; published: number }[];
  connections: { bufferedAmount: number; messagesReplaced: number }[];
}

async function stats(server: ExampleProcess): Promise<Stats> {
  const response = await fetch(`${server.base}ticker/stats`);
  assert.equal(response.status, 200);
  return (await response.json()) as Stats;
}

const fedGroups = (s: Stats): number[] => s.feeds.filter((feed) => feed.feeding).map((feed) => feed.group);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Every group fed by exactly one of the processes. */
async function feedsSplit(servers: ExampleProcess[]): Promise<number[][] | undefined> {
  const fed = await Promise.all(servers.map(async (server) => fedGroups(await stats(server))));
  const all = fed.flat().sort((a, b) => a - b);
  return JSON.stringify(all) === JSON.stringify([...Array(GROUPS).keys()]) ? fed : undefined;
}

async function waitForBoard(page: Page): Promise<void> {
  await waitInPage(page, `document.querySelectorAll('#board .tile').length === ${SYMBOLS}`, TIMEOUT);
  await waitInPage(page, "document.getElementById('status').dataset.state === 'connected'", TIMEOUT);
  // Prices flowing and fresh: the last one arrived less than 2 s after the feed set it (generous: a
  // loaded machine runs Chromium late; a backlog would be far older).
  await waitInPage(
    page,
    'globalThis.tickerStats.received > 100 && globalThis.tickerStats.lastLag < 2000',
    TIMEOUT,
  );
}

describe('examples/dashboard on two processes sharing Redis', {
  skip: skipChromium || redisMissing(),
}, () => {
  let pair: TwoProcesses;
  let browser: Browser;

  before(async () => {
    pair = await startTwoProcesses('dashboard', [...PAGE_FEED, '--lease-ttl', '1500']);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    assert.deepEqual(await pair?.stop(), [0, 0]);
  });

  test('one feed per group; the process feeding most is killed, the other takes over, pages recover', async () => {
    const pages: ExamplePage[] = [];
    for (const server of pair.processes) pages.push(await openExamplePage(browser, server.base));
    for (const { page } of pages) await waitForBoard(page);
    const split = await until('every group fed by exactly one process', () => feedsSplit(pair.processes));

    // Kill the process feeding the most groups (the first holder of a lease keeps it).
    const victim: 0 | 1 = split[0]!.length >= split[1]!.length ? 0 : 1;
    const survivor: 0 | 1 = victim === 0 ? 1 : 0;
    const moved = split[victim]!;
    const survivorLabel = (await stats(pair.processes[survivor])).process;
    await pair.processes[victim].kill();
    const takenOver = await until('the survivor feeding every group', async () => {
      const fed = fedGroups(await stats(pair.processes[survivor]));
      return fed.length === GROUPS ? fed : undefined;
    });
    assert.equal(takenOver.length, GROUPS);
    // The survivor's page shows the moved groups fed by the survivor, with a higher term.
    const survivorPage = pages[survivor]!.page;
    for (const group of moved) {
      await survivorPage
        .locator(`#feeds li[data-group="${group}"][data-state="live"]`, { hasText: survivorLabel })
        .waitFor({ timeout: TIMEOUT })
        .catch(async (error: Error) => {
          const shown = await survivorPage.textContent('#feeds');
          const fed = JSON.stringify((await stats(pair.processes[survivor])).feeds);
          throw new Error(
            `group ${group}: the page shows "${shown}"; ${survivorLabel} feeds ${fed}: ${error.message}`,
          );
        });
    }
    await pair.restart(victim);
    await waitForBoard(pages[victim]!.page);
    // Still one feed per group: the restarted process found every lease taken.
    assert.deepEqual(await until('one feed per group', () => feedsSplit(pair.processes)), [
      ...(victim === 0 ? [[], takenOver] : [takenOver, []]),
    ]);
    await waitInPage(
      pages[victim]!.page,
      '!document.querySelector(\'#feeds li[data-state="paused"]\')',
      TIMEOUT,
    );

    await pages[victim]!.page.setViewportSize({ width: 1100, height: 620 });
    // For the picture, a second of ordinary lag rather than the catch-up after the restart (a loaded
    // machine may not give one within the wait: the picture is taken anyway).
    await waitInPage(
      pages[victim]!.page,
      'globalThis.tickerStats.p50 < 500 && globalThis.tickerStats.perSecond > 0',
      10_000,
    ).catch(() => {});
    await saveScreenshot(pages[victim]!.page, 'dashboard');
    for (const page of pages) assert.deepEqual(page.problems(), []);
  });
});

/** A hub-protocol client from the `ws` package that can stop reading its socket. */
async function rawSubscriber(server: ExampleProcess) {
  const socket = new WebSocket(`${server.ws}/hub`, 'fullduplex.hub.v1');
  const prices: { s: string; t: number; at: number }[] = [];
  let subscribed = 0;
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data));
    if (frame.op === 'subscribed') subscribed++;
    if (frame.op === 'message' && !frame.topic.endsWith('.snapshot')) {
      const { s, t } = JSON.parse(frame.data);
      prices.push({ s, t, at: Date.now() });
    }
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  for (let group = 0; group < GROUPS; group++) {
    socket.send(JSON.stringify({ op: 'subscribe', id: group, topic: `ticker.g${group}` }));
  }
  await until('subscribed', async () => (subscribed === GROUPS ? true : undefined));
  const tcp = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  return { socket, prices, pause: () => tcp.pause(), resume: () => tcp.resume() };
}

describe('examples/dashboard: a client that stops reading', () => {
  // Every symbol moves every 10 ms: 30,000 prices a second, enough to fill the kernel's socket
  // buffers (megabytes on loopback) within a second or two, so the server's own queue is reached.
  const FAST = ['--interval', '10', '--activity', '1', '--max-buffered', '65536'];

  /** Pauses a client until the server's queue for it is past its bound, then reads again. */
  async function pauseAndResume(backpressure: string) {
    const server = await startExample('dashboard', [...FAST, '--backpressure', backpressure]);
    const client = await rawSubscriber(server);
    try {
      await until('prices', async () => (client.prices.length > 1000 ? true : undefined));
      const pausedAt = Date.now();
      client.pause();
      // Until the queue has collapsed 20 prices per symbol (latest-by-key) or holds 2 MiB (wait),
      // at most 10 s.
      let connection = (await stats(server)).connections[0]!;
      while (
        Date.now() - pausedAt < 10_000 &&
        connection.messagesReplaced < 20 * SYMBOLS &&
        connection.bufferedAmount < 2 * 1024 * 1024
      ) {
        await sleep(100);
        connection = (await stats(server)).connections[0]!;
      }
      const before = client.prices.length;
      const resumedAt = Date.now();
      client.resume();
      await until('a price set after reading again', async () =>
        client.prices.at(-1)!.t > resumedAt ? true : undefined,
      );
      const late = client.prices.slice(before).filter((price) => price.t <= resumedAt);
      const figures = {
        pausedMs: resumedAt - pausedAt,
        queuedBytes: connection.bufferedAmount,
        replaced: connection.messagesReplaced,
        latePrices: late.length,
        oldestMs: Math.max(0, ...late.map((price) => resumedAt - price.t)),
        caughtUpMs: Date.now() - resumedAt,
      };
      console.log(`# ${backpressure}, ~30,000 prices/s: ${JSON.stringify(figures)}`);
      return figures;
    } finally {
      client.socket.terminate();
      assert.equal(await server.stop(), 0);
    }
  }

  test('with latest-by-key the server queues at most about one price per symbol, however long the pause', async () => {
    const figures = await pauseAndResume('latest-by-key');
    assert.ok(figures.replaced >= 20 * SYMBOLS, `the queue collapsed ${figures.replaced} prices`);
    // 300 prices of ~150 bytes each in the hub's frames, over the 64 KiB bound: far below a backlog.
    assert.ok(
      figures.queuedBytes < 256 * 1024,
      `the server's queue stayed bounded: ${figures.queuedBytes} bytes`,
    );
  });

  test('with --backpressure wait the same pause piles the prices up in the server instead', async () => {
    const figures = await pauseAndResume('wait');
    assert.equal(figures.replaced, 0);
    assert.ok(figures.queuedBytes > 1024 * 1024, `the queue grew to ${figures.queuedBytes} bytes`);
  });
});

describe('examples/dashboard on one process (no Redis)', { skip: skipChromium }, () => {
  let server: ExampleProcess;
  let browser: Browser;

  before(async () => {
    server = await startExample('dashboard', PAGE_FEED);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
  });

  test('a page whose main thread was blocked for 3 s shows current prices right after', async () => {
    const { page, problems } = await openExamplePage(browser, server.base);
    await waitForBoard(page);
    const received = (await page.evaluate('globalThis.tickerStats.received')) as number;
    // The page's thread does nothing else for 3 s (a long task; a throttled background tab is alike).
    await page.evaluate('{ const end = Date.now() + 3000; while (Date.now() < end); }');
    const unblockedAt = Date.now();
    await waitInPage(page, 'globalThis.tickerStats.lastLag < 2000', TIMEOUT);
    const caughtUpMs = Date.now() - unblockedAt;
    const after = (await page.evaluate('globalThis.tickerStats.received')) as number;
    console.log(
      `# blocked page: caught up ${caughtUpMs} ms after its thread was free; ${after - received} prices read`,
    );
    assert.deepEqual(problems(), []);
  });

  test('after a restart the page reconnects and prices flow again', async () => {
    const { page, problems } = await openExamplePage(browser, server.base);
    await waitForBoard(page);
    const port = server.port;
    await server.kill();
    await waitInPage(page, "document.getElementById('status').dataset.state !== 'connected'", TIMEOUT);
    server = await startExample('dashboard', PAGE_FEED, port);
    const received = (await page.evaluate('globalThis.tickerStats.received')) as number;
    await waitForBoard(page);
    await waitInPage(page, `globalThis.tickerStats.received > ${received + 100}`, TIMEOUT);
    assert.deepEqual(problems(), []);
  });
});
