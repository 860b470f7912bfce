// examples/editor in Chromium: pages on two server processes sharing a real redis-server list each
// other as here, type into one document at once and end with the same text; a late joiner gets it
// all; a page that went offline keeps its edits and merges them when it is back; a server process
// killed mid-edit and started again loses nothing. (One process without Redis:
// editor-one-process.test.ts, which uses the helpers exported here.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { redisMissing } from '../helpers/redis-server.js';
import { chromium, skipUnless } from '../interop/harness/peer-availability.js';
import { launchChromium } from './harness/chromium-browser.js';
import { EDITOR_ARGS, openEditor, textOf, typeAt, unexpected, waitForText } from './harness/editor-page.js';
import { type ExamplePage, waitInPage } from './harness/example-page.js';
import type { ExampleProcess } from './harness/example-process.js';
import { saveScreenshot } from './harness/screenshot.js';
import { startTwoProcesses, type TwoProcesses } from './harness/two-processes.js';

/**
 * Types `count` lines at the end of `writer`, each one seen by `reader` before the next: at least
 * one publication per line, so the topic outgrows its history. Resolves with the text.
 */
async function typeLines(writer: Page, reader: Page, label: string, count: number): Promise<string> {
  let text = await textOf(writer);
  await writer.focus('#text');
  for (let line = 1; line <= count; line++) {
    // One input event per line (as a paste would be): quicker than key by key under load.
    await writer.keyboard.press('Control+End');
    await writer.keyboard.insertText(`${label} ${line}\n`);
    text += `${label} ${line}\n`;
    await waitForText(reader, text);
  }
  return text;
}

async function connectionState(page: Page): Promise<string | undefined> {
  return page.$eval(
    '#connection',
    (element) => (element as unknown as { dataset: { state?: string } }).dataset.state,
  );
}

interface KeptPublication {
  offset: number;
  data: string;
  binary?: boolean;
}

/** The topic's kept history, read over the hub protocol with the `ws` client. */
async function keptHistory(server: ExampleProcess, topic: string): Promise<KeptPublication[]> {
  const socket = new WebSocket(`${server.ws}/hub`, 'fullduplex.hub.v1');
  try {
    const answer = await new Promise<{ ok: boolean; publications: KeptPublication[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no history answer within 10 s')), 10_000);
      socket.on('error', reject);
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data));
        if (frame.op === 'welcome') socket.send(JSON.stringify({ op: 'history', id: 1, topic }));
        if (frame.op === 'history') {
          clearTimeout(timer);
          resolve(frame);
        }
      });
    });
    assert.equal(answer.ok, true);
    return answer.publications;
  } finally {
    socket.terminate();
  }
}

/** The history no longer starts at offset 1 and holds a server snapshot (kind byte 1). */
async function assertCompacted(server: ExampleProcess, doc: string): Promise<void> {
  const kept = await keptHistory(server, `editor.${doc}`);
  assert.ok(kept.length > 0 && kept[0]!.offset > 1, `history trimmed (first kept ${kept[0]?.offset})`);
  const kinds = kept.map((publication) => Buffer.from(publication.data, 'base64')[0]);
  assert.ok(kinds.includes(1), `a snapshot is kept (kinds ${kinds.join('')})`);
}

const skip = skipUnless(chromium()) || redisMissing();

describe('examples/editor: pages on two processes sharing Redis', { skip }, () => {
  let processes: TwoProcesses;
  let browser: Browser;
  const pages: ExamplePage[] = [];

  before(async () => {
    processes = await startTwoProcesses('editor', EDITOR_ARGS);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    const codes = await processes?.stop();
    assert.deepEqual(codes, [0, 0], `exit codes; stderr: ${processes?.processes.map((p) => p.stderr())}`);
    for (const opened of pages) assert.deepEqual(unexpected(opened.problems()), []);
  });

  async function open(server: ExampleProcess, doc: string, name?: string): Promise<Page> {
    const opened = await openEditor(browser, server, doc, name);
    pages.push(opened);
    return opened.page;
  }

  test('two pages typing at once converge; a late joiner gets the whole text', async () => {
    const [one, two] = processes.processes;
    const ana = await open(one, 'notes', 'Ana');
    const bea = await open(two, 'notes', 'Bea');
    // Who is here, across the two processes.
    await waitInPage(ana, `document.getElementById('people').textContent.includes('Bea')`);
    await waitInPage(bea, `document.getElementById('people').textContent.includes('Ana')`);
    const title = 'Release checklist\n';
    await typeAt(ana, 'end', title);
    await waitForText(bea, title);

    // Ana writes above the title while Bea writes below it, at the same time, on different processes.
    const anaText = '(shared by Ana and Bea)\n';
    const beaText = '- chromium tests green\n- docs updated\n- tag v0.2\n';
    await Promise.all([typeAt(ana, 'start', anaText), typeAt(bea, 'end', beaText)]);
    const expected = anaText + title + beaText;
    await waitForText(ana, expected);
    await waitForText(bea, expected);

    // Late, on either process: the merged state and everything after it.
    const cleo = await open(two, 'notes');
    await waitForText(cleo, expected);
    const dan = await open(one, 'notes');
    await waitForText(dan, expected);
    await assertCompacted(one, 'notes');
    await cleo.close();
    await dan.close();
    await waitInPage(ana, `!document.getElementById('people').textContent.includes('Someone')`);
    await saveScreenshot(ana, 'editor');
  });

  test('a page cut off from the network keeps its edits and merges them when back', async () => {
    const [one, two] = processes.processes;
    const ana = await open(one, 'offline');
    const bea = await open(two, 'offline');
    await typeAt(ana, 'end', 'shared\n');
    await waitForText(bea, 'shared\n');

    await bea.context().setOffline(true);
    await waitInPage(bea, `document.getElementById('connection').dataset.state !== 'connected'`);
    await typeAt(bea, 'end', 'written offline\n');
    await typeAt(ana, 'start', 'meanwhile: ');
    await waitForText(ana, 'meanwhile: shared\n');
    assert.notEqual(await bea.$eval('#sync', (element) => element.getAttribute('data-pending')), '0');
    assert.equal(await textOf(bea), 'shared\nwritten offline\n', 'nothing reached the offline page');

    await bea.context().setOffline(false);
    await waitForText(bea, 'meanwhile: shared\nwritten offline\n');
    await waitForText(ana, 'meanwhile: shared\nwritten offline\n');
  });

  test('a server process killed mid-edit and started again: both sides converge, nothing lost', async () => {
    const [one, two] = processes.processes;
    const ana = await open(one, 'restart');
    const bea = await open(two, 'restart');
    // More lines than the history keeps (12): after the restart, only snapshots can bring them back.
    const written = await typeLines(ana, bea, 'line', 16);

    await one.kill();
    await waitInPage(ana, `document.getElementById('connection').dataset.state !== 'connected'`);
    await typeAt(ana, 'end', 'Ana, server down\n');
    await typeAt(bea, 'start', 'Bea, other server: ');
    assert.notEqual(await connectionState(ana), 'connected');

    const restarted = await processes.restart(0);
    const expected = `Bea, other server: ${written}Ana, server down\n`;
    await waitForText(ana, expected);
    await waitForText(bea, expected);

    // The restarted process starts empty: it rebuilds the document from the history in Redis.
    const cleo = await open(restarted, 'restart');
    await waitForText(cleo, expected);
    await assertCompacted(restarted, 'restart');
  });
});
