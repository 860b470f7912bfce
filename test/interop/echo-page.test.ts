// What `npm start` shows a person: `fullduplex serve --page` serves the echo page, and a real browser
// (Debian Chromium) types a message, sends it and sees it come back; then the server shuts down cleanly.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { collectPageProblems } from '../examples/harness/page-problems.js';
import { launchChromium } from './harness/launch-chromium.js';
import { chromium, skipUnless } from './harness/peer-availability.js';

const skip = skipUnless(chromium());
const bin = new URL('../../../bin/fullduplex.js', import.meta.url).pathname;
let child: ChildProcessWithoutNullStreams | undefined;
let browser: Browser | undefined;

after(async () => {
  await browser?.close();
  child?.kill('SIGKILL');
});

/** The flags `npm start` passes to `fullduplex serve`, with the host and port made safe for a test. */
function npmStartFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    scripts: { start: string };
  };
  const words = scripts.start
    .slice(scripts.start.indexOf('bin/fullduplex.js serve') + 'bin/fullduplex.js serve'.length)
    .trim()
    .split(/\s+/);
  const flags: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as string;
    if (word === '--host' || word === '--port') index++;
    else flags.push(word);
  }
  return [...flags, '--host', '127.0.0.1', '--port', '0'];
}

test('the echo page as `npm start` serves it: compression negotiated, the echo, no console errors', {
  skip,
}, async () => {
  const flags = npmStartFlags();
  assert.ok(flags.includes('--page') && flags.includes('--compress'), flags.join(' '));
  child = spawn(process.execPath, [bin, 'serve', ...flags]);
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, 'line')) as [string];
  const port = /:(\d+)\/$/.exec(first)?.[1];
  assert.ok(port, `first line: ${first}`);

  browser = await launchChromium();
  const page = await browser.newPage();
  const problems = collectPageProblems(page);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('#status[data-state="open"]').waitFor({ timeout: 10_000 });
  await page
    .locator('#log li.system', { hasText: /^connected, extensions: permessage-deflate/ })
    .waitFor({ timeout: 10_000 });
  await page.fill('#message', 'hello from the browser');
  await page.click('button[type="submit"]');
  await page
    .locator('#log li.received', { hasText: '← hello from the browser' })
    .waitFor({ timeout: 10_000 });
  assert.match((await page.textContent('#rtt')) ?? '', /Round trip: \d+\.\d ms/);

  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await page.locator('#status[data-state="closed"]').waitFor({ timeout: 10_000 });
  assert.match((await page.textContent('#log')) ?? '', /closed: code 1001/);
  const [exitCode] = await exited;
  assert.equal(exitCode, 0);
  assert.deepEqual(problems, []);
});
