// WebSocketServer's onPlainRequest: `listen` answers requests that are not upgrades with what the hook
// returns, on the same port and through the same admission as the upgrades.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { WebSocketServerOptions } from '../../src/server/server-options.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { rawRequest } from '../helpers/raw-http.js';

const servers: WebSocketServer[] = [];
after(async () => {
  for (const server of servers) await server.close({ timeout: 100 });
});

async function listening(
  options: WebSocketServerOptions,
): Promise<{ server: WebSocketServer; port: number }> {
  const server = new WebSocketServer(options);
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

const get = (path: string, method = 'GET'): string => `${method} ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

describe('onPlainRequest', { timeout: 30_000 }, () => {
  test('answers with its status, headers and UTF-8 body; upgrades on the same port are untouched', async () => {
    const seen: { method: string; url: string; host: string | undefined }[] = [];
    const { server, port } = await listening({
      onConnection: (connection) => connection.onMessage((message) => connection.send(message.data)),
      onPlainRequest: (request) => {
        seen.push({ method: request.method, url: request.url, host: request.headers.host as string });
        if (request.url !== '/health?full') return undefined;
        return { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'ok ✓\n' };
      },
    });
    const health = await rawRequest(port, get('/health?full'));
    assert.equal(health.status, 200);
    assert.equal(health.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(health.headers.connection, 'close');
    assert.equal(Number(health.headers['content-length']), Buffer.byteLength('ok ✓\n'));
    assert.equal(Buffer.from(health.body, 'latin1').toString('utf8'), 'ok ✓\n');
    assert.deepEqual(seen, [{ method: 'GET', url: '/health?full', host: 'x' }]);

    const other = await rawRequest(port, get('/other'));
    assert.equal(other.status, 426, 'undefined keeps the default answer');

    const socket = new WebSocket(`ws://127.0.0.1:${port}/health?full`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send('echo');
    const [echoed] = await new Promise<[Buffer]>((resolve) =>
      socket.once('message', (data) => resolve([data as Buffer])),
    );
    assert.equal(String(echoed), 'echo');
    socket.close();
    assert.equal(seen.length, 2, 'the upgrade never reached the hook');
    assert.equal(server.stats.refused, 1, 'only the 426 counts as refused');
  });

  test('HEAD gets the Content-Length without the body; binary bodies go out as they are', async () => {
    const body = new Uint8Array([0, 1, 2, 255]);
    const { port } = await listening({ onPlainRequest: () => ({ status: 200, body }) });
    const head = await rawRequest(port, get('/x', 'HEAD'));
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '4');
    assert.equal(head.headers['content-type'], 'application/octet-stream');
    assert.equal(head.body, '');
    const full = await rawRequest(port, get('/x'));
    assert.deepEqual([...Buffer.from(full.body, 'latin1')], [0, 1, 2, 255]);
  });

  test('a hook that throws, or answers what cannot be written, gets 500 and reaches onError', async () => {
    const errors: Error[] = [];
    const { port } = await listening({
      onError: (error) => errors.push(error),
      onPlainRequest: (request) => {
        if (request.url === '/throw') throw new Error('boom');
        if (request.url === '/status') return { status: 101 };
        return { status: 200, headers: { 'X-Bad': 'a\r\nInjected: yes' } };
      },
    });
    for (const path of ['/throw', '/status', '/header']) {
      const answer = await rawRequest(port, get(path));
      assert.equal(answer.status, 500, path);
      assert.doesNotMatch(answer.text, /Injected/);
    }
    assert.deepEqual(
      errors.map((error) => error.message),
      [
        'boom',
        'a plain response needs a status 200-599, not 101',
        'header X-Bad has a value with CR, LF or another control character',
      ],
    );
  });
});
