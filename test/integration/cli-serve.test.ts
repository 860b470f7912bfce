// `fullduplex serve` as scripts outside the project drive it: a real process, real sockets, ws as the peer.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';

const bin = new URL('../../../bin/fullduplex.js', import.meta.url).pathname;
const running = new Set<ChildProcessWithoutNullStreams>();

after(() => {
  for (const child of running) child.kill('SIGKILL');
});

async function startServe(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--host', '127.0.0.1', '--port', '0', ...args]);
  running.add(child);
  child.once('exit', () => running.delete(child));
  const lines = createInterface({ input: child.stdout });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => {
      throw new Error('serve exited before listening');
    }),
  ])) as [string];
  const match = /^listening (ws:\/\/127\.0\.0\.1:(\d+)\/)$/.exec(first);
  assert.ok(match, `first line was ${JSON.stringify(first)}`);
  assert.notEqual(match[2], '0', 'the real port is printed when --port is 0');
  return { child, url: match[1] as string };
}

function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) =>
    socket.once('message', (data, binary) => resolve({ data: data as Buffer, binary })),
  );
}

describe('fullduplex serve', () => {
  test('--help lists every flag with its default and exits 0', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--help']);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    for (const flag of [
      '--mode',
      '--port',
      '--compress',
      '--max-payload',
      '--ping-interval',
      '--max-connections',
    ]) {
      assert.match(output, new RegExp(`${flag}\\b`));
    }
    assert.match(output, /--max-payload BYTES .*\(default: 67108864\)/);
  });

  test('an unknown flag is a usage error with exit code 2', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--no-such-flag']);
    let errors = '';
    child.stderr.on('data', (chunk) => {
      errors += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(errors, /no-such-flag/);
  });

  test('echo mode echoes text and binary on any path, then SIGTERM closes clients with 1001 and exits 0', async () => {
    const { child, url } = await startServe(['--mode', 'echo']);
    const socket = await open(`${url}any/path?x=1`);
    socket.send('hello');
    const text = await nextMessage(socket);
    assert.equal(text.binary, false);
    assert.equal(text.data.toString(), 'hello');
    const payload = Buffer.alloc(200_000, 7);
    socket.send(payload);
    const binary = await nextMessage(socket);
    assert.equal(binary.binary, true);
    assert.deepEqual(binary.data, payload);

    const closed = once(socket, 'close');
    child.kill('SIGTERM');
    const [code] = (await closed) as [number];
    assert.equal(code, 1001);
    const [exitCode] = await once(child, 'exit');
    assert.equal(exitCode, 0);
  });

  test('echo mode with --workers 2: two worker processes on one port echo every client; SIGTERM stops them all', async () => {
    const { child, url } = await startServe(['--mode', 'echo', '--workers', '2']);
    const workers = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ');
    assert.equal(workers.length, 2, 'the primary forked two workers');
    const sockets = await Promise.all([open(url), open(url), open(url), open(url)]);
    const replies = sockets.map((socket) => nextMessage(socket));
    for (const [index, socket] of sockets.entries()) socket.send(`from ${index}`);
    const texts = (await Promise.all(replies)).map((reply) => reply.data.toString());
    assert.deepEqual(texts, ['from 0', 'from 1', 'from 2', 'from 3']);
    const closes = sockets.map((socket) => once(socket, 'close'));
    child.kill('SIGTERM');
    for (const [code] of (await Promise.all(closes)) as [number][]) assert.equal(code, 1001);
    const [exitCode] = await once(child, 'exit');
    assert.equal(exitCode, 0);
  });

  test('broadcast mode refuses --workers (a broadcast would stay in one worker)', async () => {
    const child = spawn(process.execPath, [
      bin,
      'serve',
      '--mode',
      'broadcast',
      '--workers',
      '2',
      '--port',
      '0',
    ]);
    let errors = '';
    child.stderr.on('data', (chunk) => {
      errors += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(errors, /--workers needs --mode echo or --mode hub/);
  });

  test('broadcast mode sends every message to every client, the sender included', async () => {
    const { child, url } = await startServe(['--mode', 'broadcast']);
    const sockets = await Promise.all([open(url), open(url), open(url)]);
    const received = sockets.map((socket) => nextMessage(socket));
    sockets[1]?.send('to everyone');
    for (const message of await Promise.all(received)) assert.equal(message.data.toString(), 'to everyone');
    for (const socket of sockets) socket.close();
    child.kill('SIGTERM');
    const [exitCode] = await once(child, 'exit');
    assert.equal(exitCode, 0);
  });

  test('--max-payload closes an oversized message with 1009', async () => {
    const { child, url } = await startServe(['--max-payload', '1000']);
    const socket = await open(url);
    const closed = once(socket, 'close');
    socket.send(Buffer.alloc(1001));
    const [code] = (await closed) as [number];
    assert.equal(code, 1009);
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  test('--max-frame-size closes a frame declaring more with 1009, while a frame at the limit echoes', async () => {
    const { child, url } = await startServe(['--max-frame-size', '100']);
    const socket = await open(url);
    socket.send(Buffer.alloc(100, 1));
    assert.equal((await nextMessage(socket)).data.length, 100);
    const closed = once(socket, 'close');
    socket.send(Buffer.alloc(101, 1));
    const [code] = (await closed) as [number];
    assert.equal(code, 1009);
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  test('--max-connections answers upgrades past the limit with 503 and Retry-After', async () => {
    const { child, url } = await startServe(['--max-connections', '1']);
    const first = await open(url);
    const refused = new WebSocket(url);
    const [, response] = (await once(refused, 'unexpected-response')) as [
      unknown,
      { statusCode: number; headers: Record<string, string> },
    ];
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers['retry-after'], '5');
    refused.on('error', () => undefined);
    refused.terminate();
    first.close();
    child.kill('SIGTERM');
    await once(child, 'exit');
  });
});
