// connect() through a real HTTP CONNECT proxy (Debian tinyproxy), and the HTTPS_PROXY / HTTP_PROXY /
// NO_PROXY conventions end to end. The environment is passed with the `env` option, never by
// changing process.env, so tests cannot leak proxy settings into each other.
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { hostname } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { connect } from '../../src/client/connect.js';
import type { Connection } from '../../src/connection/connection.js';
import { HandshakeError } from '../../src/errors.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { testCertificate } from '../helpers/certs.js';
import { startTinyproxy, type Tinyproxy, tinyproxyMissing } from '../helpers/tinyproxy.js';

function echo(connection: Connection): void {
  connection.onMessage((message) => {
    connection.send(message.data);
  });
}

async function roundTrip(connection: Connection, text: string): Promise<void> {
  connection.send(text);
  assert.deepEqual(await connection.read(), { type: 'text', data: text });
  await connection.close(1000);
}

/** A port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** This machine's host name when it resolves to loopback (it does on Debian's default /etc/hosts). */
async function loopbackHostname(): Promise<string | undefined> {
  const name = hostname();
  try {
    const { address } = await lookup(name, { family: 4 });
    return address.startsWith('127.') && name !== 'localhost' ? name : undefined;
  } catch {
    return undefined;
  }
}

const skip = tinyproxyMissing();

describe('connect() through tinyproxy', { skip, timeout: 60_000 }, () => {
  let server: WebSocketServer;
  let tlsServer: WebSocketServer;
  let port: number;
  let tlsPort: number;
  let cert: string;
  let proxy: Tinyproxy;
  let authProxy: Tinyproxy;
  let otherPort: number;

  before(async () => {
    const identity = await testCertificate();
    cert = identity.cert;
    server = new WebSocketServer({ onConnection: echo });
    tlsServer = new WebSocketServer({ onConnection: echo, tls: { key: identity.key, cert } });
    ({ port } = await server.listen(0, '127.0.0.1'));
    ({ port: tlsPort } = await tlsServer.listen(0, '127.0.0.1'));
    otherPort = await deadPort();
    proxy = await startTinyproxy([port, tlsPort]);
    authProxy = await startTinyproxy([port], { user: 'alice', password: 's3cret' });
  });

  after(async () => {
    await Promise.all([server?.close({ timeout: 100 }), tlsServer?.close({ timeout: 100 })]);
    await Promise.all([proxy?.stop(), authProxy?.stop()]);
  });

  test('ws:// through the `proxy` option', async () => {
    const connection = await connect(`ws://127.0.0.1:${port}/`, { proxy: proxy.url });
    await roundTrip(connection, 'tunnelled');
    assert.match(proxy.log(), new RegExp(`CONNECT 127\\.0\\.0\\.1:${port}`));
  });

  test('wss:// through the proxy: TLS runs end to end inside the tunnel', async () => {
    const connection = await connect(`wss://localhost:${tlsPort}/`, { proxy: proxy.url, ca: cert });
    await roundTrip(connection, 'tunnelled over tls');
    assert.match(proxy.log(), new RegExp(`CONNECT localhost:${tlsPort}`));
  });

  test('the proxy refusing CONNECT (port not allowed) rejects with its status, naming the proxy', async () => {
    await assert.rejects(connect(`ws://127.0.0.1:${otherPort}/`, { proxy: proxy.url }), (error) => {
      assert.ok(error instanceof HandshakeError);
      assert.equal(error.status, 403);
      assert.match(error.message, /proxy 127\.0\.0\.1:\d+ refused to CONNECT/);
      return true;
    });
  });

  test('proxy credentials from the URL become Proxy-Authorization', async () => {
    const connection = await connect(`ws://127.0.0.1:${port}/`, {
      proxy: `http://alice:s3cret@127.0.0.1:${authProxy.port}`,
    });
    await roundTrip(connection, 'authenticated');
    await assert.rejects(
      connect(`ws://127.0.0.1:${port}/`, { proxy: authProxy.url }),
      (error) => error instanceof HandshakeError && error.status === 407,
    );
  });

  test('an unreachable proxy rejects with a HandshakeError naming the proxy', async () => {
    const dead = await deadPort();
    await assert.rejects(
      connect(`ws://127.0.0.1:${port}/`, { proxy: `http://127.0.0.1:${dead}` }),
      (error) =>
        error instanceof HandshakeError && error.status === 0 && /proxy .*ECONNREFUSED/.test(error.message),
    );
  });

  test('HTTP_PROXY from the environment is used for ws://', async (t) => {
    const name = await loopbackHostname();
    if (name === undefined) {
      t.skip(
        'this machine has no host name that resolves to loopback, and loopback hosts bypass env proxies',
      );
      return;
    }
    const connection = await connect(`ws://${name}:${port}/`, { env: { HTTP_PROXY: proxy.url } });
    await roundTrip(connection, 'via env');
    assert.match(proxy.log(), new RegExp(`CONNECT ${name}:${port}`));
  });

  test('HTTPS_PROXY (lower case first) is used for wss://, HTTP_PROXY is not', async (t) => {
    const name = await loopbackHostname();
    if (name === undefined) {
      t.skip('this machine has no host name that resolves to loopback');
      return;
    }
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const connection = await connect(`wss://${name}:${tlsPort}/`, {
      ca: cert,
      servername: 'localhost',
      env: { https_proxy: proxy.url, HTTPS_PROXY: dead, HTTP_PROXY: dead },
    });
    await roundTrip(connection, 'via https_proxy');
    assert.match(proxy.log(), new RegExp(`CONNECT ${name}:${tlsPort}`));
  });

  test('NO_PROXY suffixes and * send the connection direct', async (t) => {
    const name = await loopbackHostname();
    if (name === undefined) {
      t.skip('this machine has no host name that resolves to loopback');
      return;
    }
    // The proxy is dead: only a direct connection can succeed.
    const dead = `http://127.0.0.1:${await deadPort()}`;
    for (const noProxy of [name, `.${name}`, `other.example, ${name}:${port}`, '*']) {
      const connection = await connect(`ws://${name}:${port}/`, {
        env: { HTTP_PROXY: dead, NO_PROXY: noProxy },
      });
      await roundTrip(connection, `direct with NO_PROXY=${noProxy}`);
    }
    await assert.rejects(
      connect(`ws://${name}:${port}/`, { env: { HTTP_PROXY: dead, NO_PROXY: `${name}:1` } }),
      (error) => error instanceof HandshakeError && /proxy/.test(error.message),
    );
  });

  test('loopback targets never use an environment proxy; proxy: false ignores the environment', async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`;
    await roundTrip(
      await connect(`ws://127.0.0.1:${port}/`, { env: { HTTP_PROXY: dead } }),
      'loopback direct',
    );
    await roundTrip(
      await connect(`ws://localhost:${port}/`, { env: { http_proxy: dead } }),
      'localhost direct',
    );
    await roundTrip(
      await connect(`ws://127.0.0.1:${port}/`, { proxy: false, env: { HTTP_PROXY: dead } }),
      'off',
    );
  });
});
