// RFC 6455 4.1: a client MUST have at most one connection to a host in CONNECTING state; later
// handshakes wait until the earlier one is open or has failed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from '../../src/client/connect.js';
import type { Connection } from '../../src/connection/connection.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';

describe('RFC 6455 4.1: one connection in CONNECTING state per host', () => {
  const events: string[] = [];
  let server: WebSocketServer;
  let url: string;

  before(async () => {
    server = new WebSocketServer({
      // Each handshake takes a while, so overlapping handshakes would be seen here.
      authorize: async (request) => {
        const name = String(request.headers['x-name']);
        events.push(`request ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (name.startsWith('refused')) return { status: 403, body: 'no' };
        return true;
      },
      onConnection: (connection) => events.push(`open ${String(connection.request?.headers['x-name'])}`),
    });
    const { port } = await server.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${port}/`;
  });

  after(() => server.close({ timeout: 100 }));

  async function openAll(names: string[], exclusiveHandshake?: boolean): Promise<Connection[]> {
    events.length = 0;
    const results = await Promise.allSettled(
      names.map((name) =>
        connect(url, {
          headers: { 'x-name': name },
          ...(exclusiveHandshake === undefined ? {} : { exclusiveHandshake }),
        }),
      ),
    );
    return results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  }

  test('a second handshake to the same host starts only after the first is open', async () => {
    const connections = await openAll(['a', 'b', 'c']);
    assert.deepEqual(events, ['request a', 'open a', 'request b', 'open b', 'request c', 'open c']);
    await Promise.all(connections.map((connection) => connection.close()));
  });

  test('a failed handshake lets the next one go', async () => {
    const connections = await openAll(['refused-1', 'd']);
    assert.deepEqual(events, ['request refused-1', 'request d', 'open d']);
    assert.equal(connections.length, 1);
    await Promise.all(connections.map((connection) => connection.close()));
  });

  test('exclusiveHandshake: false opens handshakes in parallel', async () => {
    const connections = await openAll(['e', 'f'], false);
    assert.deepEqual(events.slice(0, 2).sort(), ['request e', 'request f']);
    assert.equal(connections.length, 2);
    await Promise.all(connections.map((connection) => connection.close()));
  });
});
