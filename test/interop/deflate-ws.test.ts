// permessage-deflate against the `ws` package, both directions: our server with a ws client, our client
// with a ws server. Each case negotiates a different set of RFC 7692 parameters, checks the header both
// sides settled on, sends messages each way (big and compressible, small, empty, random, several in a
// row so a shared window is exercised) and checks the bytes on the socket were really compressed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import { connect } from '../../src/client/connect.js';
import type { Connection } from '../../src/connection/connection.js';
import { parseExtensionHeader } from '../../src/protocol/extensions/extension-header.js';
import type { PerMessageDeflateOptions } from '../../src/protocol/extensions/permessage-deflate.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';

type WsDeflate = NonNullable<WebSocket.ClientOptions['perMessageDeflate']>;

/** JSON-like text: compresses several times over, and repeats across messages. */
function jsonLike(count: number, seed: number): string {
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    items.push(
      `{"id":${i + seed},"user":"user-${(i * 7919 + seed) % 500}","tags":["a","b"],"ok":${i % 2 === 0}}`,
    );
  }
  return `[${items.join(',')}]`;
}

/** The messages each side sends: [payload, binary]. */
function script(): Array<[string | Buffer, boolean]> {
  return [
    [jsonLike(2000, 1), false], // ~150 KiB of text
    [jsonLike(2000, 2), false], // again, mostly the same: a shared window helps
    [Buffer.from(jsonLike(300, 3)), true],
    ['short', false], // under the threshold
    ['', false],
    [randomBytes(50_000), true], // incompressible
    [jsonLike(40, 4), false],
  ];
}

function same(received: string | Buffer, sent: string | Buffer): boolean {
  return typeof sent === 'string'
    ? received.toString() === sent
    : Buffer.compare(received as Buffer, sent) === 0;
}

const COMPRESSIBLE_BYTES = script()
  .slice(0, 3)
  .reduce((sum, [data]) => sum + Buffer.byteLength(data), 0);

/** Our connection sends the script (compress forced on) and reads back what the peer echoes. */
async function roundTrip(connection: Connection): Promise<void> {
  for (const [data, binary] of script()) {
    connection.send(data, { binary, compress: true });
    const message = await connection.read();
    assert.equal(message.type, binary ? 'binary' : 'text');
    assert.ok(same(message.data, data), `echo of a ${Buffer.byteLength(data)}-byte message`);
  }
}

interface Case {
  readonly name: string;
  readonly ours: PerMessageDeflateOptions | true;
  readonly theirs: WsDeflate;
  /** The Sec-WebSocket-Extensions value the server answers with. */
  readonly header: string;
}

// ws negotiates on the server side in its own order; each expected header is the server's exact text.
const serverCases: Case[] = [
  { name: 'defaults', ours: true, theirs: true, header: 'permessage-deflate' },
  {
    name: 'no context takeover both ways, asked by the ws client',
    ours: true,
    theirs: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    header: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
  },
  {
    name: 'reduced windows asked by the ws client (server 8, client 10)',
    ours: true,
    theirs: { serverMaxWindowBits: 8, clientMaxWindowBits: 10 },
    header: 'permessage-deflate; server_max_window_bits=8; client_max_window_bits=10',
  },
  {
    name: 'reduced windows and no takeover imposed by our server',
    ours: {
      serverMaxWindowBits: 9,
      clientMaxWindowBits: 9,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    },
    theirs: true,
    header:
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9',
  },
];

describe('interop: our server, ws client, permessage-deflate', () => {
  for (const c of serverCases) {
    test(c.name, { timeout: 30_000 }, async () => {
      const server = new WebSocketServer({
        perMessageDeflate: c.ours,
        onConnection: (connection) => {
          // Echo every message, compressed.
          connection.onMessage((message) => connection.send(message.data, { compress: true }));
        },
      });
      const { port } = await server.listen(0);
      const client = new WebSocket(`ws://127.0.0.1:${port}/`, {
        perMessageDeflate: { ...asObject(c.theirs), threshold: 0 },
      });
      try {
        await new Promise<void>((resolve, reject) => {
          client.once('open', resolve);
          client.once('error', reject);
        });
        const [connection] = [...server.connections];
        assert.equal(connection?.extensions, c.header);
        // ws's own reading of our response (its `extensions` getter only lists names).
        assert.equal(client.extensions, 'permessage-deflate');
        assert.deepEqual(wsParams(client), paramsOf(c.header));
        const received: Buffer[] = [];
        const types: boolean[] = [];
        let waiting: (() => void) | undefined;
        client.on('message', (data: Buffer, isBinary: boolean) => {
          received.push(data);
          types.push(isBinary);
          waiting?.();
        });
        for (const [data, binary] of script()) {
          client.send(data, { binary, compress: true });
          const want = received.length + 1;
          await new Promise<void>((resolve) => {
            waiting = () => received.length >= want && resolve();
            waiting();
          });
          assert.equal(types[want - 1], binary);
          assert.ok(same(received[want - 1] as Buffer, data));
        }
        // Both directions went compressed: far fewer bytes on the wire than the compressible payloads.
        const socket = (client as unknown as { _socket: { bytesRead: number; bytesWritten: number } })
          ._socket;
        assert.ok(socket.bytesWritten < COMPRESSIBLE_BYTES / 2, `client wrote ${socket.bytesWritten}`);
        assert.ok(socket.bytesRead < COMPRESSIBLE_BYTES / 2, `client read ${socket.bytesRead}`);
      } finally {
        client.terminate();
        await server.close({ timeout: 1000 });
      }
    });
  }
});

const clientCases: Case[] = [
  { name: 'defaults', ours: true, theirs: true, header: 'permessage-deflate' },
  {
    name: 'no context takeover both ways, imposed by the ws server',
    ours: true,
    theirs: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    header: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
  },
  {
    name: 'reduced windows imposed by the ws server (server 10, client 8)',
    ours: true,
    theirs: { serverMaxWindowBits: 10, clientMaxWindowBits: 8 },
    header: 'permessage-deflate; server_max_window_bits=10; client_max_window_bits=8',
  },
  {
    name: 'reduced windows and no takeover asked by our client',
    ours: {
      serverMaxWindowBits: 9,
      clientMaxWindowBits: 11,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    },
    theirs: true,
    header:
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=11',
  },
];

describe('interop: our client, ws server, permessage-deflate', () => {
  for (const c of clientCases) {
    test(c.name, { timeout: 30_000 }, async () => {
      const wss = new WsServer({
        host: '127.0.0.1',
        port: 0,
        perMessageDeflate: { ...asObject(c.theirs), threshold: 0 },
      });
      await new Promise<void>((resolve) => wss.once('listening', resolve));
      let serverBytes = { read: 0, written: 0 };
      wss.on('connection', (socket, request) => {
        socket.on('message', (data: Buffer, isBinary: boolean) =>
          socket.send(data, { binary: isBinary, compress: true }),
        );
        socket.on('close', () => {
          serverBytes = { read: request.socket.bytesRead, written: request.socket.bytesWritten };
        });
      });
      const { port } = wss.address() as AddressInfo;
      const connection = await connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate: c.ours });
      try {
        // ws orders the parameters its own way.
        assert.deepEqual(paramsOf(connection.extensions), paramsOf(c.header));
        await roundTrip(connection);
        await connection.close(1000, 'done');
        for (let i = 0; i < 50 && serverBytes.read === 0; i++)
          await new Promise((resolve) => setTimeout(resolve, 20));
        assert.ok(
          serverBytes.read > 0 && serverBytes.read < COMPRESSIBLE_BYTES / 2,
          `server read ${serverBytes.read}`,
        );
        assert.ok(serverBytes.written < COMPRESSIBLE_BYTES / 2, `server wrote ${serverBytes.written}`);
      } finally {
        connection.terminate();
        for (const socket of wss.clients) socket.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      }
    });
  }
});

/** The parameters of a one-element header, sorted, as `name=value` strings. */
function paramsOf(header: string): string[] {
  const [element] = parseExtensionHeader(header);
  return (element?.params ?? []).map(([name, value]) => (value === true ? name : `${name}=${value}`)).sort();
}

/** What the ws client accepted, in the same form. */
function wsParams(client: WebSocket): string[] {
  const extension = (
    client as unknown as { _extensions: Record<string, { params: Record<string, unknown> }> }
  )._extensions['permessage-deflate'];
  return Object.entries(extension?.params ?? {})
    .map(([name, value]) => (value === true ? name : `${name}=${value}`))
    .sort();
}

function asObject(value: WsDeflate): Exclude<WsDeflate, boolean> {
  return value === true || value === false ? {} : value;
}

describe('interop: limits on the wire', () => {
  test('1 MiB of random bytes from a ws client (compressed, so a little larger) passes maxPayload 1 MiB', {
    timeout: 30_000,
  }, async () => {
    const closes: Array<{ code: number; reason: string }> = [];
    const server = new WebSocketServer({
      perMessageDeflate: true,
      maxPayload: 1024 * 1024,
      onConnection: (connection) => {
        connection.onRawMessage((data) => connection.send(data, { binary: true }));
        void connection.closed.then((info) => closes.push({ code: info.code, reason: info.reason }));
      },
    });
    const { port } = await server.listen(0);
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: true, maxPayload: 0 });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('open', resolve);
        client.once('error', reject);
      });
      const reply = new Promise<Buffer>((resolve, reject) => {
        client.once('message', (data: Buffer) => resolve(data));
        client.once('close', (code: number) => reject(new Error(`closed with ${code} instead of echoing`)));
      });
      const random = randomBytes(1024 * 1024);
      client.send(random, { compress: true });
      assert.ok((await reply).equals(random), 'echoed byte for byte');
      // One byte more, compressed or not, is over the limit: 1009 with a plain reason.
      const closed = new Promise<number>((resolve) => client.once('close', (code: number) => resolve(code)));
      client.send(randomBytes(1024 * 1024 + 1), { compress: true });
      assert.equal(await closed, 1009);
      for (let i = 0; i < 50 && closes.length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(closes, [{ code: 1009, reason: 'message exceeds 1048576 bytes' }]);
    } finally {
      client.terminate();
      await server.close({ timeout: 1000 });
    }
  });

  test('a compressed bomb from a ws client is stopped at maxPayload with 1009', {
    timeout: 30_000,
  }, async () => {
    const failures: number[] = [];
    const server = new WebSocketServer({
      perMessageDeflate: true,
      maxPayload: 1024 * 1024,
      onConnection: (connection) => {
        void connection.closed.then((info) => failures.push(info.code));
      },
    });
    const { port } = await server.listen(0);
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: true });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('open', resolve);
        client.once('error', reject);
      });
      const closed = new Promise<number>((resolve) => client.once('close', (code: number) => resolve(code)));
      // 32 MiB of zeros: about 32 KiB on the wire, 32 times the limit once inflated.
      client.send(Buffer.alloc(32 * 1024 * 1024), { compress: true });
      assert.equal(await closed, 1009);
      const socket = (client as unknown as { _socket: { bytesWritten: number } })._socket;
      assert.ok(socket.bytesWritten < 200_000, `client wrote ${socket.bytesWritten}`);
      for (let i = 0; i < 50 && failures.length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(failures, [1009]);
    } finally {
      client.terminate();
      await server.close({ timeout: 1000 });
    }
  });
});
