// examples/shared/app-server.mjs (runApp), through a minimal app run as child processes: its static
// files, the hub client's modules, routes, the hub on one process and on two sharing a real Redis,
// --workers, bad flags, and a page in Chromium that reconnects across a restart.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { WebSocket } from '../../src/client/web-socket/web-socket.js';
import { HubClient, type TopicMessage } from '../../src/hub-client/index.js';
import { redisMissing, startRedis } from '../helpers/redis-server.js';
import { chromium, skipUnless } from '../interop/harness/peer-availability.js';
import { launchChromium } from './harness/chromium-browser.js';
import { openExamplePage, waitInPage } from './harness/example-page.js';
import { type ExampleProcess, startExample } from './harness/example-process.js';
import { startTwoProcesses, type TwoProcesses } from './harness/two-processes.js';

const PROBE = 'test/examples/fixtures/probe-app/server.mjs';
const ROOT = new URL('../../../', import.meta.url);

/** GET or POST with a fresh connection each time (so --workers spreads them), body as text. */
function fetchText(
  url: string,
  method = 'GET',
  body?: string,
): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), text }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * A Node hub client subscribing to `topic`, collecting message data in order; `subscribed` resolves
 * once the server answered the subscribe (from then on, every publication reaches it).
 */
function subscriber(
  url: string,
  topic: string,
): { client: HubClient<string>; seen: string[]; subscribed: Promise<unknown> } {
  const client = new HubClient<string>(url, { WebSocket, reconnect: { initialDelay: 50, maxDelay: 300 } });
  const seen: string[] = [];
  const subscription = client.subscribe(topic);
  subscription.on('message', (message: TopicMessage<string>) => seen.push(message.data));
  const subscribed = new Promise((resolve) => subscription.on('subscribed', resolve));
  client.connect();
  return { client, seen, subscribed };
}

async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('runApp on one process (MemoryBroker)', () => {
  let app: ExampleProcess;
  before(async () => {
    app = await startExample(PROBE);
  });
  after(async () => {
    await app?.stop();
  });

  test('serves its files, the hub client modules, the shared helpers, and nothing outside them', async () => {
    const page = await fetchText(app.base);
    assert.equal(page.status, 200);
    assert.match(page.type, /^text\/html/);
    assert.match(page.text, /<title>probe<\/title>/);
    const client = await fetchText(`${app.base}client/index.js`);
    assert.equal(client.status, 200);
    assert.match(client.type, /^text\/javascript/);
    assert.match(client.text, /HubClient/);
    assert.equal((await fetchText(`${app.base}shared/connection-status.js`)).status, 200);
    assert.equal((await fetchText(`${app.base}shared/hub-url.js`)).status, 200);
    assert.equal((await fetchText(`${app.base}nothing-here.js`)).status, 404);
    assert.equal((await fetchText(`${app.base}%2e%2e/%2e%2e/%2e%2e/package.json`)).status, 404);
    assert.equal((await fetchText(`${app.base}client/%2e%2e/index.js`)).status, 404);
    assert.equal((await fetchText(app.base, 'POST', 'x')).status, 405);
  });

  test('routes take bodies; server code publishes to hub subscribers; a body over 64 KiB gets 413', async () => {
    const { client, seen, subscribed } = subscriber(`${app.ws}/hub`, 'news');
    try {
      await subscribed;
      await client.publish('news', 'from a client');
      const answer = await fetchText(`${app.base}publish/news`, 'POST', JSON.stringify('from server code'));
      assert.equal(answer.status, 200);
      assert.equal(JSON.parse(answer.text).offset, 2);
      await until('both messages', () => seen.length === 2);
      assert.deepEqual(seen, ['from a client', 'from server code']);
      const tooBig = await fetchText(`${app.base}publish/news`, 'POST', 'x'.repeat(70_000));
      assert.equal(tooBig.status, 413);
      assert.equal((await fetchText(`${app.base}whoami`)).text, `pid ${app.child.pid}`);
    } finally {
      client.close();
    }
  });

  test('SIGTERM closes clients with 1001, runs the cleanup and exits 0', async () => {
    const other = await startExample(PROBE);
    const { client } = subscriber(`${other.ws}/hub`, 'news');
    const closed = new Promise<number>((resolve) =>
      client.on('disconnected', (event) => resolve(event.code)),
    );
    await until('connected', () => client.state === 'connected');
    assert.equal(await other.stop(), 0);
    assert.equal(await closed, 1001);
    client.close();
    assert.match(other.stderr(), /cleanup ran: true/);
  });

  test('bad flags: a clear message and exit code 2', async () => {
    for (const [flags, message] of [
      [['--workers', '2'], /--workers N > 1 needs --redis/],
      [['--port', 'eighty'], /--port takes an integer/],
      [['--colour', 'blue'], /Unknown option '--colour'/],
    ] as const) {
      const child = spawn(process.execPath, [PROBE, ...flags], { cwd: ROOT.pathname });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const [code] = await once(child, 'exit');
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
      assert.match(stderr, /usage: node examples\/probe\/server\.mjs/);
    }
  });
});

describe('runApp on two processes sharing Redis', { skip: redisMissing() }, () => {
  let pair: TwoProcesses;
  before(async () => {
    pair = await startTwoProcesses(PROBE);
  });
  after(async () => {
    const codes = await pair?.stop();
    assert.deepEqual(codes, [0, 0]);
  });

  test('server code on one process reaches a client of the other, also across that one restarting', async () => {
    const [first, second] = pair.processes;
    const { client, seen, subscribed } = subscriber(`${first.ws}/hub`, 'relay');
    try {
      let recovered: boolean | undefined;
      client.on('recovered', (event) => {
        recovered = event.complete;
      });
      await subscribed;
      await fetchText(`${second.base}publish/relay`, 'POST', '"m1"');
      await until('m1', () => seen.includes('m1'));
      const disconnected = new Promise((resolve) => client.on('disconnected', resolve));
      const restarting = pair.restart(0);
      await disconnected;
      for (const text of ['m2', 'm3']) await fetchText(`${second.base}publish/relay`, 'POST', `"${text}"`);
      await restarting;
      await until('m2 and m3 after the restart', () => seen.length >= 3);
      await fetchText(`${second.base}publish/relay`, 'POST', '"m4"');
      await until('m4', () => seen.includes('m4'));
      assert.deepEqual(seen, ['m1', 'm2', 'm3', 'm4']);
      assert.equal(recovered, true, 'history in Redis covered the restart');
    } finally {
      client.close();
    }
  });
});

describe('runApp --workers 2', { skip: redisMissing() }, () => {
  test('two workers on one port, one listening line; requests reach both', async () => {
    const redis = await startRedis();
    try {
      const app = await startExample(PROBE, ['--workers', '2', '--redis', redis.url]);
      try {
        const workers = new Set<string>();
        for (let attempt = 0; attempt < 40 && workers.size < 2; attempt++) {
          workers.add((await fetchText(`${app.base}whoami`)).text);
        }
        assert.equal(workers.size, 2, `answers from ${[...workers].join(', ')}`);
        assert.ok(![...workers].includes(`pid ${app.child.pid}`), 'the primary serves nothing itself');
        assert.equal(await app.stop(), 0);
      } finally {
        await app.kill();
      }
    } finally {
      await redis.stop();
    }
  });
});

describe('runApp in Chromium', { skip: skipUnless(chromium()) }, () => {
  let browser: Browser;
  let app: ExampleProcess;
  before(async () => {
    app = await startExample(PROBE);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  test('the page loads the client as ES modules, shows its connection and reconnects after a restart', async () => {
    const { page, problems } = await openExamplePage(browser, app.base);
    await waitInPage(page, "document.getElementById('status')?.dataset.state === 'connected'");
    await fetchText(`${app.base}publish/news`, 'POST', '"hello"');
    await waitInPage(page, "document.getElementById('messages')?.textContent === '1 hello'");
    const port = app.port;
    await app.kill();
    await waitInPage(page, "document.getElementById('status')?.dataset.state !== 'connected'");
    assert.match(String(await page.textContent('#status')), /^reconnecting/);
    app = await startExample(PROBE, [], port);
    await waitInPage(page, "document.getElementById('status')?.dataset.state === 'connected'");
    assert.equal(await page.textContent('#status'), 'connected');
    assert.deepEqual(problems(), []);
  });
});
