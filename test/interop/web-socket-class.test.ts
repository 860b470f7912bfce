// The WebSocket class against a real browser: every scenario script runs unchanged in headless
// Chromium (over the browser's own WebSocket) and in Node (over fullduplex's WebSocket), against the
// same server, and the two logs of events and values must be equal, as must the way the server saw
// each connection end. The deliberate differences (docs/websocket-class.md) run the same way, and
// the test checks that the logs differ in exactly the documented way.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CloseEvent } from '../../src/client/web-socket/close-event.js';
import { WebSocket } from '../../src/client/web-socket/web-socket.js';
import { launchChromium } from './harness/launch-chromium.js';
import { chromium, skipUnless } from './harness/peer-availability.js';
import { ScenarioServer } from './harness/scenario-server.js';
import { differences, type Outcome } from './harness/web-socket-differences.js';
import { scenarios } from './harness/web-socket-scenario-list.js';
import {
  makeKit,
  type Scenario,
  type ScenarioEnv,
  type SocketClass,
} from './harness/web-socket-scenarios.js';

const skip = skipUnless(chromium());

/** Scenarios whose server view is not compared, and why. */
const serverViewDiffers: Record<string, string> = {
  'the server sends invalid UTF-8': 'the Close code the client fails with is a documented difference',
  'close() while CONNECTING': 'whether the handshake reaches the server before close() abandons it is a race',
  'readyState constants and binaryType values': 'it closes while CONNECTING: the same race',
  'constructor argument checks': 'it closes while CONNECTING: the same race',
};

/** Runs the scenario in the page: the kit and the scenario travel as source text. */
async function inBrowser(page: Page, server: ScenarioServer, scenario: Scenario): Promise<Outcome> {
  const id = `chromium-${Math.random().toString(36).slice(2)}`;
  const log = (await page.evaluate(
    async ([kitSource, scenarioSource, base, runId]) => {
      const scope = globalThis as unknown as Record<string, unknown>;
      const env = {
        WebSocket: scope.WebSocket,
        CloseEvent: scope.CloseEvent,
        MessageEvent: scope.MessageEvent,
        DOMException: scope.DOMException,
        Blob: scope.Blob,
        base,
        id: runId,
        log: [] as unknown[][],
      };
      const kitFactory = new Function(`return (${kitSource})`)() as (e: unknown) => unknown;
      // A method's source ("async name(env, kit) {...}") is an expression only inside an object literal.
      const holder = new Function(`return ({ ${scenarioSource} })`)() as Record<string, unknown>;
      const run = Object.values(holder)[0] as (e: unknown, k: unknown) => Promise<void>;
      await run(env, kitFactory(env));
      return env.log;
    },
    [makeKit.toString(), scenario.toString(), `ws://127.0.0.1:${server.port}`, id] as const,
  )) as unknown[][];
  return { log, server: await server.serverSide(id) };
}

async function inNode(server: ScenarioServer, scenario: Scenario): Promise<Outcome> {
  const id = `node-${Math.random().toString(36).slice(2)}`;
  const env: ScenarioEnv = {
    WebSocket: WebSocket as unknown as SocketClass,
    CloseEvent: CloseEvent as unknown as ScenarioEnv['CloseEvent'],
    MessageEvent: globalThis.MessageEvent as unknown as ScenarioEnv['MessageEvent'],
    DOMException: globalThis.DOMException as unknown as ScenarioEnv['DOMException'],
    Blob: globalThis.Blob as unknown as ScenarioEnv['Blob'],
    base: `ws://127.0.0.1:${server.port}`,
    id,
    log: [],
  };
  await scenario(env, makeKit(env));
  return { log: env.log, server: await server.serverSide(id) };
}

describe('WebSocket class: the same scenarios in headless Chromium and in Node', {
  skip,
  timeout: 180_000,
}, () => {
  let browser: Browser;
  let page: Page;
  let server: ScenarioServer;

  before(async () => {
    browser = await launchChromium();
    server = new ScenarioServer();
    await server.listen();
    page = await (await browser.newContext()).newPage();
    await page.goto(`http://127.0.0.1:${server.port}/`);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const [name, scenario] of Object.entries(scenarios)) {
    test(name, async () => {
      const browserSide = await inBrowser(page, server, scenario);
      const nodeSide = await inNode(server, scenario);
      assert.ok(browserSide.log.length > 0, 'the scenario logged something');
      assert.deepEqual(nodeSide.log, browserSide.log, 'the events and values seen by the script');
      if (serverViewDiffers[name] === undefined) {
        assert.deepEqual(nodeSide.server, browserSide.server, 'how the server saw each connection end');
      }
    });
  }

  describe('documented differences', () => {
    for (const [name, difference] of Object.entries(differences)) {
      test(name, async () => {
        const browserSide = await inBrowser(page, server, difference.scenario);
        const nodeSide = await inNode(server, difference.scenario);
        difference.check(browserSide, nodeSide);
      });
    }
  });
});
