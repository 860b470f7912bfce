// examples/chat, run as a child process and spoken to by the `ws` client and by Chromium: rooms,
// nicknames, join/leave notices, history on join, and the errors bad input gets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromium, skipUnless } from '../interop/harness/peer-availability.js';
import { launchChromium } from './harness/chromium-browser.js';
import { type ExampleProcess, startExample } from './harness/example-process.js';
import { type Json, JsonPeer } from './harness/json-peer.js';
import { collectPageProblems } from './harness/page-problems.js';

const HISTORY = 3;
const ofType =
  (type: string) =>
  (message: Json): boolean =>
    message.type === type;

describe('examples/chat with the ws client', () => {
  let server: ExampleProcess;
  const peers: JsonPeer[] = [];

  before(async () => {
    server = await startExample('chat', ['--history', String(HISTORY)]);
  });
  after(async () => {
    for (const peer of peers) peer.terminate();
    const code = await server?.stop();
    assert.equal(code, 0, `exit code; stderr: ${server?.stderr()}`);
  });

  async function open(room: string): Promise<JsonPeer> {
    const peer = await JsonPeer.open(`${server.ws}/room/${room}`);
    peers.push(peer);
    return peer;
  }

  async function join(room: string, nick: string): Promise<{ peer: JsonPeer; welcome: Json }> {
    const peer = await open(room);
    peer.send({ type: 'join', nick });
    const welcome = await peer.next(ofType('welcome'));
    return { peer, welcome };
  }

  test('two members of a room see each other, a member of another room does not', async () => {
    const { peer: alice, welcome } = await join('lobby', 'alice');
    assert.deepEqual(welcome, {
      type: 'welcome',
      room: 'lobby',
      nick: 'alice',
      members: ['alice'],
      history: [],
    });
    const { peer: carol } = await join('elsewhere', 'carol');
    const { peer: bob, welcome: bobWelcome } = await join('lobby', 'bob');
    assert.deepEqual(bobWelcome.members, ['alice', 'bob']);

    assert.deepEqual(await alice.next(ofType('joined')), {
      type: 'joined',
      nick: 'alice',
      members: ['alice'],
    });
    assert.deepEqual(await alice.next(ofType('joined')), {
      type: 'joined',
      nick: 'bob',
      members: ['alice', 'bob'],
    });

    alice.send({ type: 'message', text: 'hi bob' });
    for (const peer of [alice, bob]) {
      const line = await peer.next(ofType('message'));
      assert.deepEqual([line.nick, line.text, line.id], ['alice', 'hi bob', 1]);
      assert.equal(typeof line.time, 'number');
    }
    bob.send({ type: 'message', text: '  hi alice  ' });
    for (const peer of [alice, bob]) {
      const line = await peer.next(ofType('message'));
      assert.deepEqual([line.nick, line.text, line.id], ['bob', 'hi alice', 2]);
    }

    bob.socket.close(1000);
    assert.deepEqual(await alice.next(ofType('left')), { type: 'left', nick: 'bob', members: ['alice'] });

    // Carol, in another room, saw her own join and nothing of the lobby; a line of hers proves her
    // connection was live all along (messages arrive in order).
    carol.send({ type: 'message', text: 'anyone?' });
    const line = await carol.next(ofType('message'));
    assert.equal(line.text, 'anyone?');
    assert.deepEqual(
      carol.messages.map((message) => message.type),
      ['welcome', 'joined', 'message'],
    );
  });

  test('a member who joins gets the last messages of the room', async () => {
    const { peer: dave } = await join('history', 'dave');
    for (let i = 1; i <= HISTORY + 2; i++) dave.send({ type: 'message', text: `line ${i}` });
    for (let i = 1; i <= HISTORY + 2; i++) await dave.next(ofType('message'));
    const { welcome } = await join('history', 'erin');
    const history = welcome.history as Json[];
    assert.deepEqual(
      history.map((line) => line.text),
      ['line 3', 'line 4', 'line 5'],
    );
    assert.deepEqual(
      history.map((line) => line.id),
      [3, 4, 5],
    );
    // A nickname is unique in its room.
    const other = await open('history');
    other.send({ type: 'join', nick: 'dave' });
    assert.equal((await other.next(ofType('error'))).error, 'nick-taken');
  });

  test('invalid input gets a documented error, and the connection stays usable', async () => {
    const peer = await open('errors');
    peer.send('{"type": "join", nick: "x"}');
    assert.deepEqual(await peer.next(ofType('error')), {
      type: 'error',
      error: 'invalid-json',
      message: 'message is not valid JSON',
    });
    peer.send({ type: 'shout', text: 'hey' });
    assert.equal((await peer.next(ofType('error'))).error, 'invalid-message');
    peer.send({ type: 'message', text: 'before joining' });
    assert.equal((await peer.next(ofType('error'))).error, 'not-joined');
    peer.send({ type: 'join', nick: 'no spaces allowed' });
    assert.equal((await peer.next(ofType('error'))).error, 'invalid-nick');
    peer.send({ type: 'join', nick: 'frank' });
    await peer.next(ofType('welcome'));
    peer.send({ type: 'message', text: 'x'.repeat(2001) });
    assert.equal((await peer.next(ofType('error'))).error, 'too-long');
    peer.send({ type: 'message', text: 'still here' });
    assert.equal((await peer.next(ofType('message'))).text, 'still here');
  });

  test('binary messages, and a flood of bad ones, close with 1008; a bad room name gets 400', async () => {
    const binary = await open('errors');
    binary.socket.send(Buffer.from([1, 2, 3]));
    assert.equal((await binary.closed()).code, 1008);

    const flood = await open('errors');
    for (let i = 0; i < 12; i++) flood.send('nope');
    assert.deepEqual(await flood.closed(), { code: 1008, reason: 'too many invalid messages' });

    await assert.rejects(JsonPeer.open(`${server.ws}/room/bad%20name`), /400/);
  });
});

describe('examples/chat in Chromium', () => {
  const skip = skipUnless(chromium());
  let server: ExampleProcess | undefined;
  let browser: Browser | undefined;
  let peer: JsonPeer | undefined;

  after(async () => {
    peer?.terminate();
    await browser?.close();
    await server?.stop();
  });

  test('a browser user joins a room, talks with a ws client and sees the notices', { skip }, async () => {
    server = await startExample('chat');
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${server.base}room/garden`);
    assert.equal(await page.inputValue('#room'), 'garden');
    await page.fill('#nick', 'rose');
    await page.click('#join button[type="submit"]');
    await page
      .locator('#status[data-state="open"]', { hasText: 'rose in #garden' })
      .waitFor({ timeout: 10_000 });

    peer = await JsonPeer.open(`${server.ws}/room/garden`);
    peer.send({ type: 'join', nick: 'ivy' });
    await peer.next(ofType('welcome'));
    await page.locator('#log li.notice', { hasText: 'ivy joined' }).waitFor({ timeout: 10_000 });
    await page.locator('#members', { hasText: 'In the room: ivy, rose' }).waitFor({ timeout: 10_000 });

    await page.fill('#text', 'hello from the browser');
    await page.click('#composer button[type="submit"]');
    const line = await peer.next(ofType('message'));
    assert.deepEqual([line.nick, line.text], ['rose', 'hello from the browser']);
    peer.send({ type: 'message', text: 'hello from ws' });
    await page.locator('#log li.message', { hasText: 'hello from ws' }).waitFor({ timeout: 10_000 });

    peer.socket.close(1000);
    await page.locator('#log li.notice', { hasText: 'ivy left' }).waitFor({ timeout: 10_000 });

    const code = await server.stop();
    assert.equal(code, 0);
    await page.locator('#status[data-state="closed"]', { hasText: '1001' }).waitFor({ timeout: 10_000 });
  });
});

describe('examples/chat in Chromium: joining', () => {
  const skip = skipUnless(chromium());
  let server: ExampleProcess | undefined;
  let browser: Browser | undefined;
  let peer: JsonPeer | undefined;

  after(async () => {
    peer?.terminate();
    await browser?.close();
    await server?.stop();
  });

  test('a taken nickname: the status says why and the form stays; once joined the form hides; Leave brings it back', {
    skip,
  }, async () => {
    server = await startExample('chat');
    peer = await JsonPeer.open(`${server.ws}/room/garden`);
    peer.send({ type: 'join', nick: 'rose' });
    await peer.next(ofType('welcome'));

    browser = await launchChromium();
    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    await page.goto(`${server.base}room/garden`);
    await page.fill('#nick', 'rose');
    await page.click('#join button[type="submit"]');
    await page
      .locator('#status[data-state="refused"]', { hasText: 'not joined: rose is already in garden' })
      .waitFor({ timeout: 10_000 });
    assert.equal(await page.isVisible('#join'), true, 'the join form stays for another try');
    assert.equal(await page.isVisible('#composer'), false);

    await page.fill('#nick', 'lily');
    await page.click('#join button[type="submit"]');
    await page
      .locator('#status[data-state="open"]', { hasText: 'lily in #garden' })
      .waitFor({ timeout: 10_000 });
    await page.locator('#join').waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal(await page.isVisible('#composer'), true);

    await page.click('#leave');
    await page.locator('#status[data-state="closed"]').waitFor({ timeout: 10_000 });
    await page.locator('#join').waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await page.isVisible('#composer'), false);
    assert.deepEqual(problems, []);
  });
});
