import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { HandshakeError } from '../../../../src/errors.js';
import { nodeSha1 } from '../../../../src/node/crypto.js';
import { buildAcceptResponse } from '../../../../src/protocol/handshake/build-accept-response.js';
import { HttpHeadParser } from '../../../../src/protocol/handshake/http-head-parser.js';
import {
  type UpgradeResponseLike,
  validateUpgradeResponse,
} from '../../../../src/protocol/handshake/validate-upgrade-response.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function response(
  headers: Record<string, string | string[] | undefined> = {},
  statusCode = 101,
): UpgradeResponseLike {
  return {
    statusCode,
    headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': ACCEPT, ...headers },
  };
}

function failure(res: UpgradeResponseLike, offer = {}): HandshakeError {
  try {
    validateUpgradeResponse(res, { key: KEY, ...offer }, nodeSha1);
  } catch (error) {
    assert.ok(error instanceof HandshakeError);
    return error;
  }
  assert.fail('expected a HandshakeError');
}

describe('validateUpgradeResponse', () => {
  test('a plain 101 gives no protocol and no extensions', () => {
    assert.deepEqual(validateUpgradeResponse(response(), { key: KEY }, nodeSha1), {
      protocol: undefined,
      extensions: [],
    });
  });

  test('returns the chosen protocol and the parsed extensions', () => {
    const result = validateUpgradeResponse(
      response({
        'sec-websocket-protocol': 'chat',
        'sec-websocket-extensions': 'permessage-deflate; server_max_window_bits=10',
      }),
      { key: KEY, protocols: ['superchat', 'chat'], extensions: ['permessage-deflate'] },
      nodeSha1,
    );
    assert.deepEqual(result, {
      protocol: 'chat',
      extensions: [{ name: 'permessage-deflate', params: [['server_max_window_bits', '10']] }],
    });
  });

  test('round trip with buildAcceptResponse through the head parser', () => {
    const text = buildAcceptResponse({ key: KEY, protocol: 'p', extensions: 'x; a' }, nodeSha1);
    const parsed = new HttpHeadParser('response').push(Buffer.from(text));
    assert.ok(parsed);
    const result = validateUpgradeResponse(
      parsed.head,
      { key: KEY, protocols: ['p'], extensions: ['x'] },
      nodeSha1,
    );
    assert.equal(result.protocol, 'p');
    assert.deepEqual(result.extensions, [{ name: 'x', params: [['a', true]] }]);
  });

  test("is structurally compatible with Node's IncomingMessage (type check)", () => {
    const check = (message: IncomingMessage) => () =>
      validateUpgradeResponse(message, { key: KEY }, nodeSha1);
    assert.equal(typeof check, 'function');
  });

  test("a non-101 answer carries the server's status and headers (redirects, auth)", () => {
    const redirect = failure(response({ location: 'ws://elsewhere/' }, 302));
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, 'ws://elsewhere/');
    const auth = failure({
      statusCode: 401,
      headers: { 'www-authenticate': 'Basic', 'set-cookie': ['a=1', 'b=2'] },
    });
    assert.equal(auth.status, 401);
    assert.equal(auth.headers['www-authenticate'], 'Basic');
    assert.equal(auth.headers['set-cookie'], 'a=1, b=2');
    assert.equal(failure({ headers: {} }).status, 0);
    assert.equal(failure(response({}, 200)).status, 200);
  });

  test('a bad 101 fails with status 101', () => {
    assert.equal(failure(response({ upgrade: undefined })).status, 101);
    assert.equal(failure(response({ upgrade: 'h2c' })).status, 101);
    assert.equal(failure(response({ connection: 'close' })).status, 101);
    assert.equal(failure(response({ 'sec-websocket-accept': undefined })).status, 101);
    assert.equal(failure(response({ 'sec-websocket-accept': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })).status, 101);
    assert.equal(failure(response({ 'sec-websocket-protocol': 'chat' })).status, 101, 'none offered');
    assert.equal(failure(response({ 'sec-websocket-protocol': 'x' }), { protocols: ['chat'] }).status, 101);
    assert.equal(
      failure(response({ 'sec-websocket-protocol': 'a, b' }), { protocols: ['a', 'b'] }).status,
      101,
    );
    assert.equal(failure(response({ 'sec-websocket-protocol': '' }), { protocols: ['a'] }).status, 101);
    assert.equal(failure(response({ 'sec-websocket-extensions': 'x' })).status, 101, 'none offered');
    assert.equal(
      failure(response({ 'sec-websocket-extensions': 'x, x' }), { extensions: ['x'] }).status,
      101,
    );
    const malformed = failure(response({ 'sec-websocket-extensions': 'x;' }), { extensions: ['x'] });
    assert.equal(malformed.status, 101);
    assert.ok(malformed.cause instanceof HandshakeError);
  });

  test('header comparisons are case-insensitive for Upgrade and Connection', () => {
    assert.doesNotThrow(() =>
      validateUpgradeResponse(
        response({ upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE' }),
        { key: KEY },
        nodeSha1,
      ),
    );
  });
});
