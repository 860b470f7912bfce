// The hub client in headless Chromium: a page on the hub's origin imports fullduplex/client's built
// modules from the `fullduplex serve --mode hub` process itself (its /client/, no bundler) and runs
// over the browser's own WebSocket against that process, which is killed and restarted.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from '../../src/client/web-socket/web-socket.js';
import { HubClient } from '../../src/hub-client/index.js';
import { freePort } from '../helpers/free-port.js';
import { startHubProcess } from '../helpers/hub-process.js';
import { launchChromium } from './harness/launch-chromium.js';
import { chromium, skipUnless } from './harness/peer-availability.js';

const skip = skipUnless(chromium());
const _bin = new URL('../../../bin/fullduplex.js', import.meta.url).pathname;

// Runs as an inline module script of a document on the hub's origin: '/client/index.js' is the hub's.
const PAGE_SCRIPT = `
  import { HubClient } from '/client/index.js';
  const log = [];
  globalThis.hubLog = log;
  const client = new HubClient('ws://' + location.host + '/', {
    reconnect: { initialDelay: 100, maxDelay: 400 },
  });
  client.on('state', (state) => log.push('state:' + state));
  const news = client.subscribe('news');
  news.on('subscribed', (event) => log.push('subscribed:' + event.recovered + ':' + (event.reason ?? '')));
  news.on('message', (message) => log.push('message:' + message.data.text));
  client.connect();
`;

async function startHub(port: number): Promise<ChildProcess> {
  return (await startHubProcess([], port)).child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('hub client in headless Chromium', { skip, timeout: 90_000 }, () => {
  let browser: Browser;
  let page: Page;
  let hub: ChildProcess | undefined;
  let hubPort: number;
  const notFound: string[] = [];

  before(async () => {
    hubPort = await freePort();
    hub = await startHub(hubPort);
    browser = await launchChromium();
    page = await browser.newPage();
    const modules: string[] = [];
    page.on('response', (response) => {
      if (!response.url().includes('/client/')) return;
      if (response.status() >= 400) notFound.push(response.url());
      else modules.push(response.url());
    });
    // A document served by the hub process itself (the text of its /client/index.js: any document of
    // that origin would do; the hub serves no HTML) whose module script imports '/client/index.js'.
    const origin = `http://127.0.0.1:${hubPort}`;
    await page.goto(`${origin}/client/index.js`);
    await page.addScriptTag({ type: 'module', content: PAGE_SCRIPT });
    await page.waitForFunction(() => 'hubLog' in globalThis);
    assert.ok(modules.includes(`${origin}/client/index.js`), modules.join());
    assert.ok(modules.includes(`${origin}/client/hub-client.js`), modules.join());
  });

  after(async () => {
    await browser?.close();
    await stop(hub);
  });

  async function log(): Promise<string[]> {
    return (await page.evaluate(
      () => (globalThis as unknown as { hubLog?: string[] }).hubLog ?? [],
    )) as string[];
  }

  async function waitForLog(entry: string, timeoutMs = 15_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const entries = await log();
      if (entries.includes(entry)) return entries;
      if (Date.now() > deadline) throw new Error(`no ${entry} in ${entries.join(', ')}`);
      await sleep(20);
    }
  }

  async function publish(text: string): Promise<void> {
    const writer = new HubClient<{ text: string }>(`ws://127.0.0.1:${hubPort}/`, { WebSocket });
    writer.connect();
    try {
      await writer.publish('news', { text });
    } finally {
      writer.close();
    }
  }

  test('loads as plain ES modules, receives, and reconnects across a server restart (epoch-changed)', async () => {
    await waitForLog('subscribed:undefined:');
    await publish('before');
    await waitForLog('message:before');
    await stop(hub);
    await waitForLog('state:disconnected');
    hub = await startHub(hubPort);
    await waitForLog('subscribed:false:epoch-changed');
    await publish('after');
    const entries = await waitForLog('message:after');
    assert.deepEqual(
      entries.filter((entry) => entry.startsWith('message:')),
      ['message:before', 'message:after'],
    );
    assert.deepEqual(notFound, [], 'every module the page imported was found');
  });
});
