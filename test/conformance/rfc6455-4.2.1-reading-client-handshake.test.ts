// RFC 6455 4.2.1 "Reading the Client's Opening Handshake", fed as bytes through the head parser.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HandshakeError } from '../../src/errors.js';
import { nodeSha1 } from '../../src/node/crypto.js';
import { buildAcceptResponse } from '../../src/protocol/handshake/build-accept-response.js';
import { buildErrorResponse } from '../../src/protocol/handshake/build-error-response.js';
import { HttpHeadParser } from '../../src/protocol/handshake/http-head-parser.js';
import { validateUpgradeRequest } from '../../src/protocol/handshake/validate-upgrade-request.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const LINES = {
  host: 'Host: server.example.com',
  upgrade: 'Upgrade: websocket',
  connection: 'Connection: Upgrade',
  key: `Sec-WebSocket-Key: ${KEY}`,
  version: 'Sec-WebSocket-Version: 13',
};

function handshake(
  replace: Partial<Record<keyof typeof LINES, string | null>> = {},
  requestLine = 'GET /chat HTTP/1.1',
  extra: string[] = [],
): string {
  const lines = [requestLine];
  for (const [name, line] of Object.entries(LINES)) {
    const replacement = replace[name as keyof typeof LINES];
    if (replacement === null) continue;
    lines.push(replacement ?? line);
  }
  return `${[...lines, ...extra].join('\r\n')}\r\n\r\n`;
}

/** What a server built from these functions answers: the status line of its response. */
function statusLine(raw: string): string {
  try {
    const parsed = new HttpHeadParser('request').push(Buffer.from(raw, 'latin1'));
    assert.ok(parsed, 'head complete');
    const request = validateUpgradeRequest(parsed.head);
    return buildAcceptResponse({ key: request.key }, nodeSha1).split('\r\n')[0] as string;
  } catch (error) {
    assert.ok(error instanceof HandshakeError, String(error));
    return buildErrorResponse(error.status, error.message, error.headers).split('\r\n')[0] as string;
  }
}

const SWITCHING = 'HTTP/1.1 101 Switching Protocols';
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request';

describe("RFC 6455 4.2.1 Reading the Client's Opening Handshake", () => {
  test('a complete handshake is accepted with 101', () => {
    assert.equal(statusLine(handshake()), SWITCHING);
  });

  test('item 1: the request MUST be an HTTP/1.1 or higher GET request -> 405 (with Allow: GET) for another method', () => {
    const raw = handshake({}, 'POST /chat HTTP/1.1');
    assert.equal(statusLine(raw), 'HTTP/1.1 405 Method Not Allowed');
    const parsed = new HttpHeadParser('request').push(Buffer.from(raw));
    assert.throws(
      () => validateUpgradeRequest(parsed!.head),
      (e: unknown) => e instanceof HandshakeError && e.headers.Allow === 'GET',
    );
  });

  test('item 1: HTTP/1.0 is refused with 400; a higher minor version is accepted', () => {
    assert.equal(statusLine(handshake({}, 'GET /chat HTTP/1.0')), BAD_REQUEST);
    assert.equal(statusLine(handshake({}, 'GET /chat HTTP/1.2')), SWITCHING);
  });

  test('item 1: a request line without Request-URI is refused with 400', () => {
    assert.equal(statusLine(handshake({}, 'GET HTTP/1.1')), BAD_REQUEST);
  });

  test('item 2: a Host header field MUST be present -> 400 without it', () => {
    assert.equal(statusLine(handshake({ host: null })), BAD_REQUEST);
  });

  test('item 3: Upgrade MUST include "websocket" (case-insensitive) -> 400 otherwise', () => {
    assert.equal(statusLine(handshake({ upgrade: 'Upgrade: WebSocket' })), SWITCHING);
    assert.equal(statusLine(handshake({ upgrade: 'Upgrade: foo, websocket' })), SWITCHING);
    assert.equal(statusLine(handshake({ upgrade: null })), BAD_REQUEST);
    assert.equal(statusLine(handshake({ upgrade: 'Upgrade: h2c' })), BAD_REQUEST);
  });

  test('item 4: Connection MUST include "Upgrade" (case-insensitive) -> 400 otherwise', () => {
    assert.equal(statusLine(handshake({ connection: 'Connection: keep-alive, upgrade' })), SWITCHING);
    assert.equal(statusLine(handshake({ connection: null })), BAD_REQUEST);
    assert.equal(statusLine(handshake({ connection: 'Connection: keep-alive' })), BAD_REQUEST);
  });

  test('item 5: Sec-WebSocket-Key MUST be base64 that decodes to 16 bytes -> 400 otherwise', () => {
    assert.equal(statusLine(handshake({ key: null })), BAD_REQUEST);
    assert.equal(statusLine(handshake({ key: 'Sec-WebSocket-Key: ' })), BAD_REQUEST);
    assert.equal(statusLine(handshake({ key: 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j' })), BAD_REQUEST);
    assert.equal(statusLine(handshake({ key: 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZSEh' })), BAD_REQUEST);
    assert.equal(statusLine(handshake({ key: 'Sec-WebSocket-Key: not base64 at all!!!!!==' })), BAD_REQUEST);
  });

  test('item 6: Sec-WebSocket-Version MUST be present -> 400 without it', () => {
    assert.equal(statusLine(handshake({ version: null })), BAD_REQUEST);
  });

  test('item 6: a version other than 13 -> 426 Upgrade Required', () => {
    assert.equal(
      statusLine(handshake({ version: 'Sec-WebSocket-Version: 8' })),
      'HTTP/1.1 426 Upgrade Required',
    );
  });

  test('item 8: Sec-WebSocket-Protocol is a list of tokens -> 400 for a non-token', () => {
    assert.equal(
      statusLine(handshake({}, undefined, ['Sec-WebSocket-Protocol: chat, super chat'])),
      BAD_REQUEST,
    );
    assert.equal(statusLine(handshake({}, undefined, ['Sec-WebSocket-Protocol: "chat"'])), BAD_REQUEST);
    assert.equal(
      statusLine(handshake({}, undefined, ['Sec-WebSocket-Protocol: chat, superchat'])),
      SWITCHING,
    );
  });

  test('item 9: a malformed Sec-WebSocket-Extensions -> 400', () => {
    assert.equal(statusLine(handshake({}, undefined, ['Sec-WebSocket-Extensions: foo; =bar'])), BAD_REQUEST);
    assert.equal(
      statusLine(handshake({}, undefined, ['Sec-WebSocket-Extensions: foo, bar; baz=2'])),
      SWITCHING,
    );
  });

  test('"the server MUST stop processing": a head over 8 KiB -> 431 before the end arrives', () => {
    const parser = new HttpHeadParser('request');
    parser.push(Buffer.from('GET /chat HTTP/1.1\r\n'));
    let caught: unknown;
    try {
      for (let i = 0; i < 100; i++) parser.push(Buffer.from(`X-Filler-${i}: ${'a'.repeat(100)}\r\n`));
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof HandshakeError);
    assert.equal(caught.status, 431);
    assert.equal(
      buildErrorResponse(caught.status, caught.message).split('\r\n')[0],
      'HTTP/1.1 431 Request Header Fields Too Large',
    );
  });

  test('malformed HTTP (bare LF, obs-fold, control characters) -> 400', () => {
    assert.equal(statusLine(handshake().replaceAll('\r\n', '\n')), BAD_REQUEST);
    assert.equal(statusLine(handshake({}, undefined, ['X-A: b', ' folded'])), BAD_REQUEST);
    assert.equal(statusLine(handshake({}, undefined, ['X-A: b\x00'])), BAD_REQUEST);
  });
});
