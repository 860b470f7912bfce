// Interop with Python `websockets` (Debian python3-websockets, run by /usr/bin/python3): our server with
// its client, our client with its server. The peer is test/interop/python/peer.py, driven by JSON lines.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { connect } from '../../src/client/connect.js';
import type { Connection } from '../../src/connection/connection.js';
import { testCertificate } from '../helpers/certs.js';
import {
  type EchoServer,
  RESERVED_OPCODE_CLIENT_FRAME,
  startEchoServer,
  summarize,
} from './harness/our-server.js';
import { pattern, SIXTEEN_MIB, sha256 } from './harness/pattern.js';
import { pythonWebsockets, skipUnless } from './harness/peer-availability.js';
import { PythonPeer } from './harness/python-peer.js';

const skip = skipUnless(pythonWebsockets());
const OPTIONS = { skip, timeout: 60_000 };

const peers: PythonPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.stop()));
});

function spawnPeer(args: string[]): PythonPeer {
  const peer = new PythonPeer(args);
  peers.push(peer);
  return peer;
}

const hex = (text: string): string => Buffer.from(text).toString('hex');

/** The certificate and key as files for Python's ssl module; removed after the suite. */
let certDir: string | undefined;
async function certFiles(): Promise<{ certfile: string; keyfile: string; cert: string; key: string }> {
  const { key, cert } = await testCertificate();
  certDir ??= await mkdtemp(join(tmpdir(), 'fullduplex-interop-'));
  const certfile = join(certDir, 'cert.pem');
  const keyfile = join(certDir, 'key.pem');
  await writeFile(certfile, cert);
  await writeFile(keyfile, key, { mode: 0o600 });
  return { certfile, keyfile, cert, key };
}
after(async () => {
  if (certDir !== undefined) await rm(certDir, { recursive: true, force: true });
});

describe('our server <- python websockets client', OPTIONS, () => {
  let echo: EchoServer;
  before(async () => {
    echo = await startEchoServer();
  });
  after(() => echo?.close());

  async function open(extra: string[] = []): Promise<{ peer: PythonPeer; connection: Connection }> {
    const peer = spawnPeer(['client', `ws://127.0.0.1:${echo.port}/py`, ...extra]);
    const opened = await peer.next('open');
    assert.equal(opened.path, '/py');
    return { peer, connection: await echo.nextConnection() };
  }

  test('text and binary round-trip', async () => {
    const { peer } = await open();
    peer.send({ op: 'send', type: 'text', data: 'héllo from python' });
    assert.equal((await peer.next('message')).text, 'héllo from python');
    peer.send({ op: 'send', type: 'binary', data: '0001ff' });
    const binary = await peer.next('message');
    assert.equal(binary.type, 'binary');
    assert.equal(binary.sha256, sha256(Buffer.from([0, 1, 255])));
  });

  test('fragmented both ways', async () => {
    const { peer, connection } = await open();
    const before = echo.received.length;
    peer.send({ op: 'send', type: 'text', fragments: ['frag', 'men', 'ted'] });
    assert.equal((await peer.next('message')).text, 'fragmented');
    assert.deepEqual(echo.received[before], { type: 'text', length: 10, sha256: sha256('fragmented') });
    const writer = connection.writeStream('binary').getWriter();
    await writer.write(Buffer.from('abc'));
    await writer.write(Buffer.from('def'));
    await writer.close();
    const message = await peer.next('message');
    assert.equal(message.type, 'binary');
    assert.equal(message.sha256, sha256('abcdef'));
  });

  test('16 MiB binary both ways', async () => {
    const { peer } = await open();
    peer.send({ op: 'send', type: 'binary', size: SIXTEEN_MIB });
    const message = await peer.next('message', 60_000);
    assert.equal(message.length, SIXTEEN_MIB);
    assert.equal(message.sha256, sha256(pattern(SIXTEEN_MIB)));
  });

  test('pings both ways', async () => {
    const { peer, connection } = await open();
    peer.send({ op: 'ping', data: 'from python' });
    await peer.next('pong');
    assert.ok((await connection.ping('from us')) >= 0);
  });

  test('ten pings back to back get ten pongs, in order, with their payloads', async () => {
    const { peer, connection } = await open();
    peer.send({ op: 'pings', count: 10 });
    const payloads: unknown[] = [];
    for (let index = 0; index < 10; index++) payloads.push((await peer.next('pong-frame')).data);
    assert.deepEqual(
      payloads,
      Array.from({ length: 10 }, (_, index) => `ping ${index}`),
    );
    assert.equal(connection.stats.pongsCoalesced, 0);
    await connection.close();
  });

  test('close initiated by the python client', async () => {
    const { peer, connection } = await open();
    peer.send({ op: 'close', code: 4000, reason: 'python bye' });
    assert.equal((await peer.next('closed')).code, 4000);
    const info = await connection.closed;
    assert.deepEqual([info.code, info.reason, info.wasClean], [4000, 'python bye', true]);
  });

  test('close initiated by our server', async () => {
    const { peer, connection } = await open();
    const info = await connection.close(4001, 'server bye');
    const closed = await peer.next('closed');
    assert.deepEqual([closed.code, closed.reason], [4001, 'server bye']);
    assert.equal(info.wasClean, true);
  });

  test('abnormal closure (1006) both ways', async () => {
    const first = await open();
    first.connection.terminate();
    assert.equal((await first.peer.next('closed')).code, 1006);
    const second = await open();
    second.peer.send({ op: 'abort' });
    const info = await second.connection.closed;
    assert.deepEqual([info.code, info.wasClean], [1006, false]);
  });

  test('a protocol error from the client fails the connection with 1002', async () => {
    const { peer, connection } = await open();
    peer.send({ op: 'raw', hex: RESERVED_OPCODE_CLIENT_FRAME });
    assert.equal((await connection.closed).code, 1002);
    assert.equal((await peer.next('closed')).code, 1002);
  });

  test('wss with a certificate made by the test', async () => {
    const { certfile, key, cert } = await certFiles();
    const secure = await startEchoServer({ tls: { key, cert } });
    try {
      const peer = spawnPeer(['client', `wss://localhost:${secure.port}/`, '--cafile', certfile]);
      await peer.next('open');
      peer.send({ op: 'send', type: 'text', data: 'secure python' });
      assert.equal((await peer.next('message')).text, 'secure python');
    } finally {
      await secure.close();
    }
  });

  test('permessage-deflate with python', async () => {
    const compressed = await startEchoServer({ perMessageDeflate: true });
    try {
      const peer = spawnPeer(['client', `ws://127.0.0.1:${compressed.port}/`, '--compression', 'deflate']);
      assert.deepEqual((await peer.next('open')).extensions, ['permessage-deflate']);
      const text = 'deflate from python '.repeat(500);
      peer.send({ op: 'send', type: 'text', data: text });
      assert.equal((await peer.next('message')).sha256, sha256(text));
    } finally {
      await compressed.close();
    }
  });
});

describe('our client -> python websockets server', OPTIONS, () => {
  async function open(
    extra: string[] = [],
    scheme = 'ws',
    options: Parameters<typeof connect>[1] = {},
  ): Promise<{ peer: PythonPeer; connection: Connection }> {
    const peer = spawnPeer(['server', '--echo', ...extra]);
    const { port } = await peer.next('listening');
    const host = scheme === 'wss' ? 'localhost' : '127.0.0.1';
    const connection = await connect(`${scheme}://${host}:${port}/from-node`, {
      maxPayload: 64 * 1024 * 1024,
      ...options,
    });
    assert.equal((await peer.next('open')).path, '/from-node');
    return { peer, connection };
  }

  test('text and binary round-trip', async () => {
    const { connection } = await open();
    connection.send('hello python');
    assert.deepEqual(await connection.read(), { type: 'text', data: 'hello python' });
    connection.send(Buffer.from([4, 5, 6]));
    assert.deepEqual(await connection.read(), { type: 'binary', data: Buffer.from([4, 5, 6]) });
    await connection.close();
  });

  test('fragmented both ways', async () => {
    const { peer, connection } = await open();
    peer.send({ op: 'send', type: 'binary', fragments: [hex('py'), hex('thon')] });
    assert.deepEqual(await connection.read(), { type: 'binary', data: Buffer.from('python') });
    const writer = connection.writeStream('text').getWriter();
    await writer.write('node ');
    await writer.write('fragments');
    await writer.close();
    assert.equal((await peer.next('message')).text, 'node fragments');
    await connection.close();
  });

  test('16 MiB binary both ways', async () => {
    const { connection } = await open();
    const payload = pattern(SIXTEEN_MIB);
    connection.send(payload);
    const reply = await connection.read();
    assert.deepEqual(summarize(reply), { type: 'binary', length: SIXTEEN_MIB, sha256: sha256(payload) });
    await connection.close();
  });

  test('pings both ways', async () => {
    const { peer, connection } = await open();
    assert.ok((await connection.ping('from node')) >= 0);
    peer.send({ op: 'ping', data: 'from python server' });
    await peer.next('pong');
    await connection.close();
  });

  test('ten pings back to back from the python server get ten pongs from our client', async () => {
    const { peer, connection } = await open();
    peer.send({ op: 'pings', count: 10 });
    const payloads: unknown[] = [];
    for (let index = 0; index < 10; index++) payloads.push((await peer.next('pong-frame')).data);
    assert.deepEqual(
      payloads,
      Array.from({ length: 10 }, (_, index) => `ping ${index}`),
    );
    await connection.close();
  });

  test('close initiated by our client', async () => {
    const { peer, connection } = await open();
    const info = await connection.close(4002, 'node bye');
    assert.equal(info.wasClean, true);
    const closed = await peer.next('closed');
    assert.deepEqual([closed.code, closed.reason], [4002, 'node bye']);
  });

  test('close initiated by the python server', async () => {
    const { peer, connection } = await open();
    peer.send({ op: 'close', code: 4003, reason: 'python server bye' });
    const info = await connection.closed;
    assert.deepEqual([info.code, info.reason, info.wasClean], [4003, 'python server bye', true]);
  });

  test('abnormal closure: the python server drops TCP', async () => {
    const { peer, connection } = await open();
    peer.send({ op: 'abort' });
    const info = await connection.closed;
    assert.deepEqual([info.code, info.wasClean], [1006, false]);
  });

  test('a protocol error from the server fails our connection with 1002', async () => {
    const { peer, connection } = await open();
    peer.send({ op: 'raw', hex: '8300' });
    assert.equal((await connection.closed).code, 1002);
    assert.equal((await peer.next('closed')).code, 1002);
  });

  test('wss with a certificate made by the test', async () => {
    const { certfile, keyfile, cert } = await certFiles();
    const { connection } = await open(['--certfile', certfile, '--keyfile', keyfile], 'wss', { ca: cert });
    connection.send('secure hello python');
    assert.deepEqual(await connection.read(), { type: 'text', data: 'secure hello python' });
    await connection.close();
  });

  test('permessage-deflate with the python server', async () => {
    const { connection } = await open(['--compression', 'deflate'], 'ws', { perMessageDeflate: true });
    assert.match(connection.extensions, /^permessage-deflate/);
    const text = 'compressible from node '.repeat(500);
    connection.send(text);
    assert.deepEqual(await connection.read(), { type: 'text', data: text });
    await connection.close();
  });
});
