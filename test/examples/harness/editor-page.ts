// Helpers of the examples/editor tests: open the page on a document, wait for a text, type as a
// person would, and the page problems that are expected when a server is killed.
import type { Browser, Page } from 'playwright-core';
import { type ExamplePage, openExamplePage, waitInPage } from './example-page.js';
import type { ExampleProcess } from './example-process.js';

// Pings every 2 s: a page whose network is cut notices within ~4 s (twice the interval). A small
// history with frequent snapshots, so the documents here outgrow it and a page or process that
// joins late can only catch up through a snapshot.
export const EDITOR_ARGS = ['--ping', '2', '--history', '12', '--snapshot-every', '4'];

export const textOf = (page: Page): Promise<string> => page.inputValue('#text');

export async function openEditor(
  browser: Browser,
  server: ExampleProcess,
  doc: string,
  name = 'Someone',
): Promise<ExamplePage> {
  const opened = await openExamplePage(browser, `${server.base}?doc=${doc}&name=${name}`);
  await waitInPage(opened.page, `document.body.dataset.joined === 'true'`);
  return opened;
}

/** Waits until the page shows exactly `expected` and has no edit left to send. */
export async function waitForText(page: Page, expected: string, timeoutMs = 30_000): Promise<void> {
  await waitInPage(
    page,
    `document.getElementById('text').value === ${JSON.stringify(expected)} &&
     document.getElementById('sync').dataset.pending === '0'`,
    timeoutMs,
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}\n  shows ${JSON.stringify(await textOf(page))}`);
  });
}

/** Types like a person: caret to the start or end of the text, then key by key. */
export async function typeAt(page: Page, where: 'start' | 'end', text: string): Promise<void> {
  await page.focus('#text');
  await page.keyboard.press(where === 'start' ? 'Control+Home' : 'Control+End');
  await page.keyboard.type(text);
}

/**
 * The page's problems, less a compaction hint (POST /doc/NAME/compact) that was under way as its
 * server was killed, and the browser's console line for that failed request: expected, as the hint
 * is best effort. Anything else is a problem.
 */
export function unexpected(problems: readonly string[]): string[] {
  let failedHints = problems.filter((problem) => /^request failed: .*\/compact$/.test(problem)).length;
  return problems.filter((problem) => {
    if (/^request failed: .*\/compact$/.test(problem)) return false;
    if (failedHints > 0 && /^console error: Failed to load resource: net::ERR_/.test(problem)) {
      failedHints--;
      return false;
    }
    return true;
  });
}
