// RFC 7692 section 7.1 through the real opening handshake on loopback: the exact Sec-WebSocket-Extensions
// line our server answers to raw requests, and what our client does with raw server responses.
// (Each parameter's rules are tested exhaustively in test/unit/protocol/extensions/.)
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { connect } from '../../src/client/connect.js';
import { HandshakeError } from '../../src/errors.js';
import { nodeSha1 } from '../../src/node/crypto.js';
import { computeAcceptKey } from '../../src/protocol/handshake/accept-key.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Sends a raw upgrade request with `extensions` and returns the response head. */
async function upgradeWith(port: number, extensions: string | null): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  const lines = [
    'GET / HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${KEY}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (extensions !== null) lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let head = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no response')), 5000);
      socket.on('data', (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (head.includes('\r\n\r\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.on('error', reject);
    });
  } finally {
    socket.destroy();
  }
  return head.slice(0, head.indexOf('\r\n\r\n'));
}

function extensionLine(head: string): string | undefined {
  return /\r\nSec-WebSocket-Extensions: ([^\r]*)/i.exec(head)?.[1];
}

describe('RFC 7692 7.1: the server answers offers on the wire', () => {
  test('first acceptable offer wins, invalid offers are declined, nothing acceptable -> no extension', async () => {
    const server = new WebSocketServer({ perMessageDeflate: { serverMaxWindowBits: 12 } });
    const { port } = await server.listen(0);
    try {
      const cases: Array<[string | null, string | undefined]> = [
        ['permessage-deflate; client_max_window_bits', 'permessage-deflate; server_max_window_bits=12'],
        [
          'permessage-deflate; server_max_window_bits=10; client_max_window_bits=9',
          'permessage-deflate; server_max_window_bits=10; client_max_window_bits=9',
        ],
        [
          'permessage-deflate; bogus, permessage-deflate; server_no_context_takeover',
          'permessage-deflate; server_no_context_takeover; server_max_window_bits=12',
        ],
        ['permessage-deflate; server_max_window_bits=16', undefined],
        ['permessage-deflate; client_no_context_takeover; client_no_context_takeover', undefined],
        ['x-unknown-extension', undefined],
        [null, undefined],
      ];
      for (const [offer, expected] of cases) {
        const head = await upgradeWith(port, offer);
        assert.match(head, /^HTTP\/1\.1 101 /, String(offer));
        assert.equal(extensionLine(head), expected, String(offer));
      }
      // A header that breaks the grammar of RFC 6455 9.1 is refused outright.
      assert.match(await upgradeWith(port, 'permessage-deflate; =x'), /^HTTP\/1\.1 400 /);
    } finally {
      await server.close({ timeout: 500 });
    }
  });
});

/** A fake server that accepts any upgrade with the given extensions line, then holds the socket. */
async function fakeServer(extensions: string): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', (chunk: Buffer) => {
      const key = /sec-websocket-key: *([^\r]*)/i.exec(chunk.toString('latin1'))?.[1] ?? '';
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${computeAcceptKey(key, nodeSha1)}\r\nSec-WebSocket-Extensions: ${extensions}\r\n\r\n`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('RFC 7692 7.1: the client checks the response on the wire', () => {
  test('a valid response is taken, and the connection reports it', async () => {
    const fake = await fakeServer('permessage-deflate; server_max_window_bits=10; client_max_window_bits=9');
    try {
      const connection = await connect(`ws://127.0.0.1:${fake.port}/`, { perMessageDeflate: true });
      assert.equal(
        connection.extensions,
        'permessage-deflate; server_max_window_bits=10; client_max_window_bits=9',
      );
      connection.terminate();
    } finally {
      await fake.close();
    }
  });

  test('a response that breaks 7.1 fails the connection with a HandshakeError', async () => {
    const bad = [
      'permessage-deflate; unknown_param', // not defined for use in a response
      'permessage-deflate; client_max_window_bits', // needs a value in a response
      'permessage-deflate; server_max_window_bits=7',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    ];
    for (const extensions of bad) {
      const fake = await fakeServer(extensions);
      try {
        await assert.rejects(
          connect(`ws://127.0.0.1:${fake.port}/`, { perMessageDeflate: true }),
          HandshakeError,
          extensions,
        );
      } finally {
        await fake.close();
      }
    }
  });

  test('a response naming permessage-deflate when it was not offered fails the connection', async () => {
    const fake = await fakeServer('permessage-deflate');
    try {
      await assert.rejects(
        connect(`ws://127.0.0.1:${fake.port}/`, { perMessageDeflate: false }),
        HandshakeError,
      );
    } finally {
      await fake.close();
    }
  });
});
