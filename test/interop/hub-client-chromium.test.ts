// The hub client in headless Chromium: the page loads fullduplex/client's built modules as they are
// (no bundler) and runs over the browser's own WebSocket against a real `fullduplex serve --mode hub`
// process that is killed and restarted.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from '../../src/client/web-socket/web-socket.js';
import { HubClient } from '../../src/hub-client/index.js';
import { freePort } from '../helpers/free-port.js';
import { launchChromium } from './harness/launch-chromium.js';
import { chromium, skipUnless } from './harness/peer-availability.js';

const skip = skipUnless(chromium());
const bin = new URL('../../../bin/fullduplex.js', import.meta.url).pathname;
const clientDist = new URL('../../../dist/hub-client/', import.meta.url);

const PAGE = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>hub client</title>
<script type="module">
  import { HubClient } from '/client/index.js';
  const log = [];
  globalThis.hubLog = log;
  const client = new HubClient(new URLSearchParams(location.search).get('hub'), {
    reconnect: { initialDelay: 100, maxDelay: 400 },
  });
  client.on('state', (state) => log.push('state:' + state));
  const news = client.subscribe('news');
  news.on('subscribed', (event) => log.push('subscribed:' + event.recovered + ':' + (event.reason ?? '')));
  news.on('message', (message) => log.push('message:' + message.data.text));
  client.connect();
</script>`;

/** Serves the page and the built client modules, as a site would. */
function staticServer(): Server {
  return createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(PAGE);
      return;
    }
    const file = /^\/client\/([a-z-]+\.js)$/.exec(path)?.[1];
    if (file === undefined) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(new URL(file, clientDist));
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
}

async function startHub(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [
    bin,
    'serve',
    '--mode',
    'hub',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
  ]);
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, 'line')) as [string];
  assert.match(first, /^listening /);
  return child;
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
  let site: Server;
  let hub: ChildProcess | undefined;
  let hubPort: number;
  const notFound: string[] = [];

  before(async () => {
    hubPort = await freePort();
    hub = await startHub(hubPort);
    site = staticServer();
    site.listen(0, '127.0.0.1');
    await once(site, 'listening');
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('response', (response) => {
      if (response.status() >= 400) notFound.push(response.url());
    });
    const { port } = site.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/?hub=${encodeURIComponent(`ws://127.0.0.1:${hubPort}/`)}`);
  });

  after(async () => {
    await browser?.close();
    await stop(hub);
    site?.closeAllConnections();
    site?.close();
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
