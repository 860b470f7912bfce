// A Chromium page on an example, with what a person would see in its console collected, and a wait
// for a condition inside the page (polled, bounded: no fixed sleeps).
import type { Browser, Page } from 'playwright-core';
import { collectPageProblems } from './page-problems.js';

export interface ExamplePage {
  readonly page: Page;
  /** Console errors, uncaught exceptions, failed requests so far (assert empty at the end). */
  problems(): string[];
}

/** What Chromium logs while a server is down and the client retries: expected, not a problem. */
const RETRY_NOISE = /^console error: WebSocket connection to '.*' failed/;

export async function openExamplePage(browser: Browser, url: string): Promise<ExamplePage> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  const all = collectPageProblems(page);
  await page.goto(url);
  return {
    page,
    problems: () => all.filter((problem) => !RETRY_NOISE.test(problem)),
  };
}

/**
 * Waits until `expression`, a JavaScript expression evaluated in the page (a string: the test
 * project has no DOM types), is truthy, polling every 50 ms; returns its value. Fails after
 * `timeoutMs` naming the expression.
 */
export async function waitInPage(page: Page, expression: string, timeoutMs = 20_000): Promise<unknown> {
  try {
    const handle = await page.waitForFunction(expression, undefined, { timeout: timeoutMs, polling: 50 });
    return await handle.jsonValue();
  } catch (error) {
    throw new Error(`waiting for ${expression}: ${(error as Error).message.split('\n')[0]}`);
  }
}
