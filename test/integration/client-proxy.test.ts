// connect() through a real HTTP CONNECT proxy (Debian tinyproxy), and the HTTPS_PROXY / HTTP_PROXY /
// NO_PROXY conventions end to end. The environment is passed with the `env` option, never by
// changing process.env, so tests cannot leak proxy settings into each other.
import assert from 'node:assert/strict';
import { lookup as dnsLookup } from 'node:dns';
import { type AddressInfo, createServer as createNetServer, type LookupFunction } from 'node:net';
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

/**
 * A name that is not loopback to the proxy rules (so the environment's proxy applies to it) and that
 * nothing resolves (RFC 6761 .invalid), except this client through `lookup` (as every *.fullduplex.invalid): a direct connection
 * reaches our server, and a tunnelled one shows in tinyproxy's log and fails there with its 500.
 */
/** tinyproxy may write its log line after it answered: wait for it (bounded), then assert. */
async function assertLogged(proxy: Tinyproxy, pattern: RegExp): Promise<void> {
  for (let waited = 0; waited < 5000 && !pattern.test(proxy.log()); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.match(proxy.log(), pattern);
}

const TARGET = 'ws-target.fullduplex.invalid';
const toLoopback: LookupFunction = (hostname, options, callback) => {
  if (!hostname.endsWith('.fullduplex.invalid')) {
    dnsLookup(hostname, options, callback);
    return;
  }
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

/** tinyproxy's answer to a CONNECT it could not resolve: the request went through the proxy. */
function refusedByProxy(proxyPort: number): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof HandshakeError, String(error));
    assert.equal(error.status, 500, error.message);
    assert.match(error.message, new RegExp(`proxy 127\\.0\\.0\\.1:${proxyPort} refused to CONNECT`));
    return true;
  };
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
    await assertLogged(proxy, new RegExp(`CONNECT 127\\.0\\.0\\.1:${port}`));
  });

  test('wss:// through the proxy: TLS runs end to end inside the tunnel', async () => {
    const connection = await connect(`wss://localhost:${tlsPort}/`, { proxy: proxy.url, ca: cert });
    await roundTrip(connection, 'tunnelled over tls');
    await assertLogged(proxy, new RegExp(`CONNECT localhost:${tlsPort}`));
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

  test("`lookup` resolves the proxy's name too", async () => {
    const named = `http://proxy.fullduplex.invalid:${proxy.port}`;
    const connection = await connect(`ws://127.0.0.1:${port}/`, { proxy: named, lookup: toLoopback });
    await roundTrip(connection, 'through a proxy found by lookup');
    await assert.rejects(
      connect(`ws://127.0.0.1:${port}/`, { proxy: named }),
      (error) => error instanceof HandshakeError && error.status === 0 && /proxy/.test(error.message),
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

  test('HTTP_PROXY from the environment is used for ws://', async () => {
    const url = `ws://${TARGET}:${port}/`;
    await assert.rejects(
      connect(url, { env: { HTTP_PROXY: proxy.url }, lookup: toLoopback }),
      refusedByProxy(proxy.port),
    );
    await assertLogged(proxy, new RegExp(`CONNECT ${TARGET}:${port}`));
    // The same target without the variable is reached directly: only the proxy made it fail.
    await roundTrip(await connect(url, { env: {}, lookup: toLoopback }), 'direct');
  });

  test('HTTPS_PROXY (lower case first) is used for wss://, HTTP_PROXY is not', async () => {
    const url = `wss://${TARGET}:${tlsPort}/`;
    const tls = { ca: cert, servername: 'localhost', lookup: toLoopback };
    const dead = `http://127.0.0.1:${await deadPort()}`;
    await assert.rejects(
      connect(url, { ...tls, env: { https_proxy: proxy.url, HTTPS_PROXY: dead, HTTP_PROXY: dead } }),
      refusedByProxy(proxy.port),
    );
    await assertLogged(proxy, new RegExp(`CONNECT ${TARGET}:${tlsPort}`));
    await assert.rejects(
      connect(url, { ...tls, env: { HTTPS_PROXY: proxy.url, HTTP_PROXY: dead } }),
      refusedByProxy(proxy.port),
    );
    // HTTP_PROXY is for ws:// only: wss:// goes direct, and HTTPS_PROXY leaves ws:// alone.
    await roundTrip(await connect(url, { ...tls, env: { HTTP_PROXY: dead } }), 'wss direct');
    await roundTrip(
      await connect(`ws://${TARGET}:${port}/`, { env: { HTTPS_PROXY: dead }, lookup: toLoopback }),
      'ws direct',
    );
  });

  test('NO_PROXY suffixes and * send the connection direct', async () => {
    // The proxy is dead: only a direct connection can succeed.
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const url = `ws://${TARGET}:${port}/`;
    const parent = TARGET.slice(TARGET.indexOf('.') + 1);
    for (const noProxy of [
      TARGET,
      `.${parent}`,
      parent,
      `*.${parent}`,
      `other.example, ${TARGET}:${port}`,
      '*',
    ]) {
      for (const name of ['NO_PROXY', 'no_proxy']) {
        const connection = await connect(url, {
          env: { HTTP_PROXY: dead, [name]: noProxy },
          lookup: toLoopback,
        });
        await roundTrip(connection, `direct with ${name}=${noProxy}`);
      }
    }
    for (const noProxy of [`${TARGET}:1`, 'other.example', `x${parent}`]) {
      await assert.rejects(
        connect(url, { env: { HTTP_PROXY: dead, NO_PROXY: noProxy }, lookup: toLoopback }),
        (error) => error instanceof HandshakeError && /proxy .*ECONNREFUSED/.test(error.message),
        `NO_PROXY=${noProxy} does not match ${TARGET}:${port}`,
      );
    }
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
