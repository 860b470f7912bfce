// Issue 5, bad input before the 101, against `fullduplex serve` as a real process: a slowloris client
// trickling its handshake is cut off at --handshake-timeout with 408, and a request head over
// --max-header-bytes is refused with 431 (RFC 6585 section 5).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { openRaw, parseAnswer, rawRequest, readHead, upgradeRequest } from '../helpers/raw-http.js';
import { killChildren, type ServeProcess, startServe } from './fault-harness.js';

after(killChildren);

const HANDSHAKE_TIMEOUT = 1000;
const BYTE_EVERY_MS = 150;

describe('issue 5: slowloris and oversized handshakes', () => {
  let serve: ServeProcess;

  test('a handshake sent one byte per 150 ms is cut off at --handshake-timeout with 408', async () => {
    serve = await startServe([
      '--handshake-timeout',
      String(HANDSHAKE_TIMEOUT),
      '--max-header-bytes',
      '1024',
    ]);
    // Taken before connecting: the server's deadline starts at its accept, which is later, so a
    // loaded test process that sees 'connect' late cannot make the cut look early.
    const connectedAt = performance.now();
    const socket = await openRaw(serve.port);
    const request = Buffer.from(upgradeRequest('/slow'));
    const received: Buffer[] = [];
    let sent = 0;
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => {}); // writing into a socket the server reset
    const trickle = setInterval(() => {
      if (sent < request.length && !socket.destroyed) socket.write(request.subarray(sent, ++sent));
    }, BYTE_EVERY_MS);
    const closedAt = await new Promise<number>((resolve) => {
      // Bounded: 10x the timeout (generous for a loaded machine), then the test fails below.
      const timer = setTimeout(() => socket.destroy(), 10 * HANDSHAKE_TIMEOUT);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(performance.now());
      });
    });
    clearInterval(trickle);
    const elapsed = closedAt - connectedAt;
    const answer = parseAnswer(Buffer.concat(received).toString('latin1'));
    console.log(
      `# slowloris: cut off after ${elapsed.toFixed(0)} ms having sent ${sent} of ${request.length} bytes; answer ${answer.status}`,
    );

    assert.ok(sent < request.length, 'the request never completed: the cut came from the deadline');
    assert.ok(sent >= 3, `only ${sent} bytes were sent: the server did not wait for the deadline`);
    // Not before the timeout (less the accept-to-connect skew): timers fire late, never early. How
    // late is left alone (a loaded machine); the 408 below says the server's deadline did it.
    assert.ok(elapsed >= HANDSHAKE_TIMEOUT - 50, `closed after ${elapsed.toFixed(0)} ms, before the timeout`);
    // RFC 9110 15.5.9: 408 Request Timeout, then the server closes the connection.
    assert.equal(answer.status, 408, answer.text);
    assert.match(answer.headers.connection ?? '', /close/i);
  });

  test('a request head over --max-header-bytes gets 431; one under it is upgraded', async () => {
    const socket = await openRaw(serve.port);
    const head = readHead(socket, 3000);
    socket.write(upgradeRequest('/', { 'X-Padding': 'a'.repeat(600) }));
    const { answer } = await head;
    socket.destroy();
    assert.equal(answer.status, 101, 'a head under the limit is accepted');

    const over = await rawRequest(serve.port, upgradeRequest('/', { 'X-Padding': 'a'.repeat(2000) }), 3000);
    assert.equal(over.status, 431, over.text);
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0);
  });
});
