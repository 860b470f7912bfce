// `fullduplex serve` admission flags as a real process: --max-pending-handshakes turns silent sockets
// away with 503 + Retry-After, --memory-budget is accepted and listed with its default.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { killChildren, startServe } from '../faults/fault-harness.js';
import { openRaw, readHead, readUntilClosed, upgradeRequest } from '../helpers/raw-http.js';

const bin = new URL('../../../bin/fullduplex.js', import.meta.url).pathname;
after(killChildren);

describe('fullduplex serve: admission control', () => {
  test('--help lists --max-pending-handshakes and --memory-budget with their defaults', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--help']);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.match(output, /--max-pending-handshakes N .*\(default: 1024\)/);
    assert.match(output, /--memory-budget BYTES .*\(default: 268435456\)/);
  });

  test('--max-pending-handshakes 2: two silent sockets hold the slots, the third gets 503 + Retry-After at once', async () => {
    const serve = await startServe(['--max-pending-handshakes', '2', '--memory-budget', '0']);
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
});
