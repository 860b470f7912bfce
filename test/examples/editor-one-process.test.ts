// examples/editor on one process without Redis, in Chromium: two pages converge, and the document
// outlives a restart that loses every topic (the open pages publish it again).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromium, skipUnless } from '../interop/harness/peer-availability.js';
import { launchChromium } from './harness/chromium-browser.js';
import { EDITOR_ARGS, openEditor, typeAt, unexpected, waitForText } from './harness/editor-page.js';
import type { ExamplePage } from './harness/example-page.js';
import { type ExampleProcess, startExample } from './harness/example-process.js';

describe('examples/editor: one process, no Redis', { skip: skipUnless(chromium()) }, () => {
  let server: ExampleProcess;
  let browser: Browser;
  const pages: ExamplePage[] = [];

  before(async () => {
    server = await startExample('editor', EDITOR_ARGS);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    const code = await server?.stop();
    assert.equal(code, 0, `exit code; stderr: ${server?.stderr()}`);
    for (const opened of pages) assert.deepEqual(unexpected(opened.problems()), []);
  });

  async function open(doc: string): Promise<Page> {
    const opened = await openEditor(browser, server, doc);
    pages.push(opened);
    return opened.page;
  }

  test('two pages converge, and the document outlives a restart that loses the topic', async () => {
    const ana = await open('solo');
    const bea = await open('solo');
    await typeAt(ana, 'end', 'one process\n');
    await waitForText(bea, 'one process\n');
    await Promise.all([typeAt(ana, 'start', 'Ana: '), typeAt(bea, 'end', 'Bea was here\n')]);
    const before = 'Ana: one process\nBea was here\n';
    await waitForText(ana, before);
    await waitForText(bea, before);

    // The in-process broker forgets everything: the pages still hold the document and publish it
    // again (epoch changed), so a page that opens after the restart gets it all.
    const port = server.port;
    await server.kill();
    server = await startExample('editor', EDITOR_ARGS, port);
    await typeAt(bea, 'end', 'after restart\n');
    const final = `${before}after restart\n`;
    await waitForText(ana, final);
    await waitForText(bea, final);
    const cleo = await open('solo');
    await waitForText(cleo, final);
  });
});
