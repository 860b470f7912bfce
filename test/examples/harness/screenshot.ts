// The README's picture of an example, taken from the real page by its test. It always goes to
// .build/screenshots/NAME.png; docs/images/examples/NAME.png (committed) is written when it is
// missing or when UPDATE_SCREENSHOTS=1, so an ordinary test run leaves the working tree clean.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';

const ROOT = new URL('../../../../', import.meta.url);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Takes the screenshot and returns where the committed copy lives. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const png = await page.screenshot({ fullPage: false });
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE) && png.length > 2000, 'a real PNG of the page');
  const build = new URL('.build/screenshots/', ROOT);
  await mkdir(build, { recursive: true });
  await writeFile(new URL(`${name}.png`, build), png);
  const docs = new URL('docs/images/examples/', ROOT);
  const committed = new URL(`${name}.png`, docs);
  if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(committed)) {
    await mkdir(docs, { recursive: true });
    await writeFile(committed, png);
  }
  return committed.pathname;
}
