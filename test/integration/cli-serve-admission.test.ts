// `fullduplex serve` admission flags as a real process: --max-pending-handshakes turns silent sockets
// away with 503 + Retry-After, --memory-budget is accepted and listed with its default.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { killChildren, startServe } from '../faults/fault-harness.js';
import { openRaw, readHead, readUntilClosed, upgradeRequest } from '../helpers/raw-http.js';

const bin = new URL('../../../bin/fullduplex.js', import.meta.url).pathname;
after(killChildren);

describe('fullduplex serve: admission control', () => {
  test('--help lists --max-pending-handshakes, --max-pending-handshakes-per-address, --first-byte-timeout and --memory-budget with their defaults', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--help']);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.match(output, /--max-pending-handshakes N .*\(default: 1024\)/);
    assert.match(output, /--memory-budget BYTES .*\(default: 268435456\)/);
    assert.match(output, /--max-pending-handshakes-per-address N .*\(default: 512\)/);
    assert.match(output, /--first-byte-timeout MS .*\(default: 3000\)/);
  });

  test('--max-pending-handshakes 2: two silent sockets hold the slots, the third gets 503 + Retry-After at once', async () => {
    // No first-byte deadline within the test: the silent sockets must keep their slots throughout.
    const serve = await startServe([
      '--max-pending-handshakes',
      '2',
      '--memory-budget',
      '0',
      '--first-byte-timeout',
      '60000',
    ]);
    const sockets: Socket[] = [];
    try {
      for (let index = 0; index < 2; index++) sockets.push(await openRaw(serve.port));
      // The server accepts asynchronously: retry a bounded number of times until the slots are full.
      let answer = { status: 0, headers: {} as Record<string, string>, body: '' };
      for (let attempt = 0; attempt < 20 && answer.status !== 503; attempt++) {
        const third = await openRaw(serve.port);
        sockets.push(third);
        answer = await readUntilClosed(third, 300);
      }
      assert.equal(answer.status, 503);
      assert.equal(answer.headers['retry-after'], '5');
      assert.match(answer.body, /maxPendingHandshakes/);
      // A slot holder is still served.
      const holder = sockets[0] as Socket;
      holder.write(upgradeRequest());
      assert.equal((await readHead(holder)).answer.status, 101);
    } finally {
      for (const socket of sockets) socket.destroy();
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });

  test('--max-pending-handshakes-per-address 2 and --first-byte-timeout 300: the third socket of one address gets 503, a silent one 408', async () => {
    const serve = await startServe([
      '--max-pending-handshakes-per-address',
      '2',
      '--first-byte-timeout',
      '300',
    ]);
    const sockets: Socket[] = [];
    try {
      const from = async (localAddress: string): Promise<Socket> => {
        const socket = connect({ port: serve.port, host: '127.0.0.1', localAddress });
        sockets.push(socket);
        await once(socket, 'connect');
        return socket;
      };
      const first = await from('127.0.0.2');
      const firstAnswer = readUntilClosed(first, 10_000);
      (await from('127.0.0.2')).write('GET / HTTP/1.1\r\n');
      let third = { status: 0, headers: {} as Record<string, string>, body: '' };
      // The server accepts asynchronously: retry a bounded number of times until the cap is reached.
      for (let attempt = 0; attempt < 10 && third.status !== 503; attempt++) {
        third = await readUntilClosed(await from('127.0.0.2'), 250);
      }
      assert.equal(third.status, 503);
      assert.match(third.body, /maxPendingHandshakesPerAddress/);
      const other = await from('127.0.0.3');
      other.write(upgradeRequest());
      assert.equal((await readHead(other)).answer.status, 101, 'another address is served');
      assert.equal((await firstAnswer).status, 408, 'the silent socket is cut at the first-byte deadline');
    } finally {
      for (const socket of sockets) socket.destroy();
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });
});
