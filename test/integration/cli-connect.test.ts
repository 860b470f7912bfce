// `fullduplex connect` as a person and as a script run it: against `fullduplex serve`, and against a
// `ws` server that shows what the client sent (headers, subprotocols, close codes, pongs).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { bin, runCli, runCliOnTerminal, type ServeProcess, startServe } from '../helpers/cli.js';

describe('fullduplex connect', () => {
  let serve: ServeProcess;
  let url: string;
  /** A ws server: /info greets with the request's X-Token and the chosen subprotocol; it records closes. */
  let peer: WebSocketServer;
  let peerUrl: string;
  const closes: Array<{ code: number; reason: string }> = [];
  const pongs: string[] = [];

  before(async () => {
    serve = await startServe([]);
    url = serve.url;
    peer = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false),
    });
    peer.on('connection', (socket, request: IncomingMessage) => {
      socket.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
      socket.on('pong', (data) => pongs.push(data.toString()));
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
      if (request.url === '/info') {
        socket.send(`token=${request.headers['x-token']} protocol=${socket.protocol}`);
      } else if (request.url === '/ping') {
        // Not at once: a ping in the same read as the 101 comes before the CLI's onPing is set.
        setTimeout(() => socket.ping('are you there'), 100);
      }
    });
    await once(peer, 'listening');
    peerUrl = `ws://127.0.0.1:${(peer.address() as AddressInfo).port}`;
  });

  after(async () => {
    await serve.stop();
    for (const client of peer.clients) client.terminate();
    await new Promise((resolve) => peer.close(resolve));
  });

  test('in a pipe: sends each stdin line, prints each message bare, closes with 1000 at end of input', async () => {
    const result = await runCli(['connect', url], 'hello\nsecond line\n');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'hello\nsecond line\n');
    assert.match(result.stderr, /^connected to ws:/m);
    assert.match(result.stderr, /^closed: 1000$/m);
  });

  test('in a pipe, binary messages print as plain hex', async () => {
    const result = await runCli(['connect', '--binary', url], 'AB\n');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '4142\n');
  });

  test('--execute sends its messages, --wait keeps printing replies, then Close 1000 and exit 0', async () => {
    const before = closes.length;
    const result = await runCli(['connect', peerUrl, '-x', 'one', '--execute', 'two', '--wait', '0.5']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'one\ntwo\n');
    await waitFor(() => closes.length > before);
    assert.deepEqual(closes.at(-1), { code: 1000, reason: '' });
  });

  test('--wait after end of input prints replies that come later', async () => {
    const result = await runCli(['connect', '--wait', '0.5', `${peerUrl}/info`], '');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'token=undefined protocol=\n');
  });

  test('--header and --subprotocol reach the server; the negotiated subprotocol is shown', async () => {
    const result = await runCli([
      'connect',
      `${peerUrl}/info`,
      '-H',
      'X-Token: abc 123',
      '--subprotocol',
      'chat.v1',
      '-s',
      'chat.v2',
      '-x',
      'done',
      '-w',
      '0.3',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'token=abc 123 protocol=chat.v2\ndone\n');
    assert.match(result.stderr, /^connected to ws:.*, subprotocol chat\.v2$/m);
  });

  test('a malformed --header is a usage error', async () => {
    const result = await runCli(['connect', url, '--header', 'no colon']);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^fullduplex: --header must look like 'Name: value', got "no colon"\n\nUsage: fullduplex connect/,
    );
  });

  test('--show-ping-pong prints pings that arrive; a /ping line sends one and prints the round trip', async () => {
    const quiet = await runCli(['connect', '-w', '0.3', `${peerUrl}/ping`], '');
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /^ping/m);

    const shown = await runCli(['connect', '-P', '-w', '0.5', `${peerUrl}/ping`], '/ping hello\n');
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stderr, /^ping 61 72 65 20 79 6f 75 20 74 68 65 72 65 {2}\|are you there\|$/m);
    assert.match(shown.stderr, /^sent ping 68 65 6c 6c 6f {2}\|hello\|$/m);
    assert.match(shown.stderr, /^pong after [\d.]+ ms$/m);
    assert.equal(shown.stdout, '', 'a /ping line is not sent as a message');
  });

  test('Ctrl-C (SIGINT) in a pipe sends Close 1000 and exits 0', async () => {
    const before = closes.length;
    const child = spawn(process.execPath, [bin, 'connect', peerUrl]);
    try {
      let stderr = '';
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
          if (stderr.includes('connected')) resolve();
        });
      });
      child.kill('SIGINT');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, stderr);
      assert.match(stderr, /closed: 1000/);
      await waitFor(() => closes.length > before);
      assert.equal(closes.at(-1)?.code, 1000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('on a terminal: a > prompt for what is sent, < marks what arrives, Ctrl-C closes with 1000, exit 0', async () => {
    const before = closes.length;
    const result = await runCliOnTerminal(
      ['connect', peerUrl],
      [
        { text: 'hello\r', delayMs: 800 },
        { text: '\u0003', delayMs: 800 },
      ],
    );
    assert.equal(result.code, 0, result.output);
    const screen = screenOf(result.output);
    assert.match(screen, /^> hello$/m);
    assert.match(screen, /^< hello$/m);
    assert.match(screen, /^closed: 1000$/m);
    await waitFor(() => closes.length > before);
    assert.equal(closes.at(-1)?.code, 1000);
  });

  test('on a terminal, binary messages show their size, hex bytes and printable characters', async () => {
    const result = await runCliOnTerminal(
      ['connect', '--binary', url],
      [
        { text: 'AB\u00e9\r', delayMs: 800 },
        { text: '\u0003', delayMs: 800 },
      ],
    );
    assert.equal(result.code, 0, result.output);
    assert.match(screenOf(result.output), /^< \[binary, 4 bytes\] 41 42 c3 a9 {2}\|AB\.\.\|$/m);
  });

  test('to a refused address: exit 1 with a message that starts with fullduplex: and says why', async () => {
    const result = await runCli(['connect', 'ws://127.0.0.1:1/']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^fullduplex: .*ECONNREFUSED/);
  });
});

/** What a terminal shows: a carriage return starts the line over, ESC [ K erases the rest of it. */
function screenOf(output: string): string {
  return output
    .split('\n')
    .map((line) =>
      (
        line
          .split('\r')
          .filter((part) => part !== '')
          .at(-1) ?? ''
      ).replaceAll('\u001b[K', ''),
    )
    .join('\n');
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 100 && !condition(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(condition(), 'condition met within 2 s');
}
