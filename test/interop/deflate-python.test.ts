// permessage-deflate against Python `websockets` (compression on, as it is by default), both directions.
// Its client offers `permessage-deflate; client_max_window_bits`; its server answers with 12-bit windows,
// so the client direction runs reduced windows as Python ships them. Our side adds no-context-takeover
// and other windows through its own options.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { connect } from '../../src/client/connect.js';
import type { Connection } from '../../src/connection/connection.js';
import { parseExtensionHeader } from '../../src/protocol/extensions/extension-header.js';
import type { PerMessageDeflateOptions } from '../../src/protocol/extensions/permessage-deflate.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { killChildren, startServe } from '../faults/fault-harness.js';
import { pattern, sha256 } from './harness/pattern.js';
import { pythonWebsockets, skipUnless } from './harness/peer-availability.js';
import { type PeerEvent, PythonPeer } from './harness/python-peer.js';

const skip = skipUnless(pythonWebsockets());

function jsonLike(count: number, seed: number): string {
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    items.push(
      `{"id":${i + seed},"user":"user-${(i * 7919 + seed) % 500}","tags":["a","b"],"ok":${i % 2 === 0}}`,
    );
  }
  return `[${items.join(',')}]`;
}

/** Text messages for both directions: big and compressible (twice, for a shared window), small, empty. */
const TEXTS = [jsonLike(2000, 1), jsonLike(2000, 2), 'short', '', jsonLike(40, 3)];
const PATTERN_SIZE = 300_000;

function paramsOf(header: string): string[] {
  const [element] = parseExtensionHeader(header);
  return (element?.params ?? []).map(([name, value]) => (value === true ? name : `${name}=${value}`)).sort();
}

function assertMessage(event: PeerEvent, type: 'text' | 'binary', data: Buffer | string): void {
  assert.equal(event.type, type);
  assert.equal(event.length, Buffer.byteLength(data));
  assert.equal(event.sha256, sha256(data));
}

interface ServerCase {
  readonly name: string;
  readonly ours: PerMessageDeflateOptions | true;
  readonly header: string;
}

const serverCases: ServerCase[] = [
  { name: 'defaults', ours: true, header: 'permessage-deflate' },
  {
    name: 'no context takeover both ways and reduced windows, imposed by our server',
    ours: {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 9,
    },
    header:
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
  },
];

describe('interop: our server, Python websockets client, permessage-deflate', { skip }, () => {
  for (const c of serverCases) {
    test(c.name, { timeout: 60_000 }, async () => {
      const server = new WebSocketServer({
        perMessageDeflate: c.ours,
        onConnection: (connection) => {
          connection.onMessage((message) => connection.send(message.data, { compress: true }));
        },
      });
      const { port } = await server.listen(0);
      const peer = new PythonPeer(['client', `ws://127.0.0.1:${port}/`, '--compression', 'deflate']);
      try {
        const open = await peer.next('open');
        assert.deepEqual(open.extensions, ['permessage-deflate']);
        const [connection] = [...server.connections];
        assert.equal(connection?.extensions, c.header);
        // Python -> us (compressed by Python) -> Python (compressed by us).
        for (const text of TEXTS) {
          peer.send({ op: 'send', type: 'text', data: text });
          assertMessage(await peer.next('message'), 'text', text);
        }
        peer.send({ op: 'send', type: 'binary', size: PATTERN_SIZE });
        assertMessage(await peer.next('message'), 'binary', pattern(PATTERN_SIZE));
        // A fragmented compressed message from Python.
        peer.send({ op: 'send', type: 'text', fragments: ['Hello, ', 'fragmented ', 'world'] });
        assertMessage(await peer.next('message'), 'text', 'Hello, fragmented world');
        peer.send({ op: 'close', code: 1000, reason: 'done' });
        const closed = await peer.next('closed');
        assert.equal(closed.code, 1000);
      } finally {
        await peer.stop();
        await server.close({ timeout: 1000 });
      }
    });
  }
});

// Issue 10: incompressible data grows slightly when deflated, so a message of exactly --max-payload
// random bytes arrives in a compressed frame a little larger; maxPayload bounds the inflated message.
describe('interop: `fullduplex serve --compress --max-payload`, Python websockets client', { skip }, () => {
  after(killChildren);

  test('1,048,576 random bytes from Python (compressed) to serve --max-payload 1048576 are echoed', {
    timeout: 60_000,
  }, async () => {
    const serve = await startServe(['--mode', 'echo', '--compress', '--max-payload', '1048576']);
    const peer = new PythonPeer(['client', serve.url, '--compression', 'deflate']);
    try {
      assert.deepEqual((await peer.next('open')).extensions, ['permessage-deflate']);
      peer.send({ op: 'send', type: 'binary', random: 1_048_576 });
      const sent = await peer.next('sent');
      const echoed = await peer.next(['message', 'closed']);
      assert.equal(echoed.event, 'message', `closed instead of echoing: ${JSON.stringify(echoed)}`);
      assert.equal(echoed.type, 'binary');
      assert.equal(echoed.length, 1_048_576);
      assert.equal(echoed.sha256, sent.sha256);
      // One byte more is over the limit however it is compressed: 1009.
      peer.send({ op: 'send', type: 'binary', random: 1_048_577 });
      const closed = await peer.next('closed');
      assert.equal(closed.code, 1009);
    } finally {
      await peer.stop();
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });
});

interface ClientCase {
  readonly name: string;
  readonly ours: PerMessageDeflateOptions | true;
  readonly header: string;
}

const clientCases: ClientCase[] = [
  {
    name: "defaults: Python's server answers with 12-bit windows",
    ours: true,
    header: 'permessage-deflate; server_max_window_bits=12; client_max_window_bits=12',
  },
  {
    name: 'no context takeover and smaller windows asked by our client',
    ours: {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 9,
      clientMaxWindowBits: 10,
    },
    header:
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10',
  },
];

async function echoRoundTrip(connection: Connection): Promise<void> {
  for (const text of TEXTS) {
    connection.send(text, { compress: true });
    const message = await connection.read();
    assert.equal(message.type, 'text');
    assert.equal(message.data, text);
  }
  const binary = pattern(PATTERN_SIZE);
  connection.send(binary, { compress: true });
  const message = await connection.read();
  assert.equal(message.type, 'binary');
  assert.equal(sha256(message.data as Buffer), sha256(binary));
}

describe('interop: our client, Python websockets server, permessage-deflate', { skip }, () => {
  for (const c of clientCases) {
    test(c.name, { timeout: 60_000 }, async () => {
      const peer = new PythonPeer(['server', '--echo', '--compression', 'deflate']);
      let connection: Connection | undefined;
      try {
        const { port } = await peer.next('listening');
        connection = await connect(`ws://127.0.0.1:${port as number}/`, { perMessageDeflate: c.ours });
        assert.deepEqual(paramsOf(connection.extensions), paramsOf(c.header));
        const open = await peer.next('open');
        assert.deepEqual(open.extensions, ['permessage-deflate']);
        await echoRoundTrip(connection);
        const closed = await connection.close(1000, 'done');
        assert.equal(closed.wasClean, true);
      } finally {
        connection?.terminate();
        await peer.stop();
      }
    });
  }
});
