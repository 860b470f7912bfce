// Drives hub-observer.ts in both runtimes: in Node over fullduplex's WebSocket class, and in headless
// Chromium over the browser's WebSocket, in a document of the hub's (or its proxy's) origin that
// imports the hub client from '/client/index.js' as served by `fullduplex serve --mode hub`.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from '../../../src/client/web-socket/web-socket.js';
import { HubClient } from '../../../src/hub-client/index.js';
import { launchChromium } from '../../interop/harness/launch-chromium.js';
import { type ObserverOptions, type ObserverRecord, observe } from './hub-observer.js';

export type Runtime = 'node' | 'chromium';

/** An observer in either runtime, seen from the test. */
export interface Watched {
  readonly runtime: Runtime;
  readonly name: string;
  record(): Promise<ObserverRecord>;
  /** Starts a publish on the observer's topic; its outcome shows in `record().published`. */
  publish(data: unknown): Promise<void>;
  close(): Promise<void>;
}

export function nodeObserver(options: ObserverOptions, name = 'node'): Watched {
  const observer = observe(HubClient, options, WebSocket);
  return {
    runtime: 'node',
    name,
    record: async () => structuredClone(observer.record),
    publish: async (data) => observer.publish(data),
    close: async () => observer.close(),
  };
}

// The compiled observer, run in the page as an inline module beside the hub's client modules.
const observerSource = readFileSync(new URL('./hub-observer.js', import.meta.url), 'utf8').replace(
  /^\/\/# sourceMappingURL=.*$/m,
  '',
);

interface PageGlobals {
  fdObserve(options: ObserverOptions): number;
  fdObservers: Array<{ record: ObserverRecord; publish(data: unknown): void; close(): void }>;
}

/** Headless Chromium with one page per origin, each hosting any number of observers. */
export class Chromium {
  readonly #browser: Browser;
  /** Module requests under /client/ that failed (a test asserts there are none). */
  readonly failedModules: string[] = [];

  private constructor(browser: Browser) {
    this.#browser = browser;
  }

  static async launch(): Promise<Chromium> {
    return new Chromium(await launchChromium());
  }

  /**
   * A document of `origin` (http://host:port of a hub process or a proxy in front of hubs). It is
   * the text of the hub's own /client/index.js, the only thing a bare hub serves over HTTP; what
   * matters is its origin, from which the module script imports '/client/index.js'.
   */
  async page(origin: string): Promise<ObserverPage> {
    const page = await this.#browser.newPage();
    page.on('response', (response) => {
      if (response.url().includes('/client/') && response.status() >= 400) {
        this.failedModules.push(`${response.status()} ${response.url()}`);
      }
    });
    await page.goto(`${origin}/client/index.js`);
    await page.addScriptTag({
      type: 'module',
      content: `${observerSource}
import { HubClient } from '/client/index.js';
globalThis.fdObservers = [];
globalThis.fdObserve = (options) => globalThis.fdObservers.push(observe(HubClient, options)) - 1;
`,
    });
    await page.waitForFunction(() => 'fdObserve' in globalThis);
    return new ObserverPage(page);
  }

  async close(): Promise<void> {
    await this.#browser.close();
  }
}

export class ObserverPage {
  readonly #page: Page;

  constructor(page: Page) {
    this.#page = page;
  }

  async observe(options: ObserverOptions, name = 'chromium'): Promise<Watched> {
    const page = this.#page;
    const index = await page.evaluate(
      (given) => (globalThis as unknown as PageGlobals).fdObserve(given),
      options,
    );
    return {
      runtime: 'chromium',
      name,
      record: () =>
        page.evaluate(
          (at) => (globalThis as unknown as PageGlobals).fdObservers[at]?.record,
          index,
        ) as Promise<ObserverRecord>,
      publish: async (data) => {
        await page.evaluate(
          ([at, value]) => (globalThis as unknown as PageGlobals).fdObservers[at as number]?.publish(value),
          [index, data] as const,
        );
      },
      close: async () => {
        if (page.isClosed()) return;
        await page.evaluate((at) => (globalThis as unknown as PageGlobals).fdObservers[at]?.close(), index);
      },
    };
  }

  async close(): Promise<void> {
    await this.#page.close();
  }
}

/** Polls `observer` every 25 ms until `check` holds; fails after `timeoutMs` showing the record. */
export async function until(
  observer: Watched,
  what: string,
  check: (record: ObserverRecord) => boolean,
  timeoutMs = 20_000,
): Promise<ObserverRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await observer.record();
    if (check(record)) return record;
    if (Date.now() > deadline) {
      throw new Error(
        `${observer.name}: no ${what} within ${timeoutMs} ms: ${JSON.stringify(record).slice(0, 3000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
