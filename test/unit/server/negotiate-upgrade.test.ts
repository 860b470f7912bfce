import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nodeSha1 } from '../../../src/node/crypto.js';
import {
  type NegotiableRequest,
  negotiateUpgrade,
  pathnameOf,
} from '../../../src/server/negotiate-upgrade.js';
import type { WebSocketServerOptions } from '../../../src/server/server-options.js';

function request(url = '/', headers: Record<string, string> = {}): NegotiableRequest {
  return {
    method: 'GET',
    url,
    httpVersion: '1.1',
    headers: {
      host: 'a.example',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
      ...headers,
    },
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    secure: false,
  };
}

async function decide(options: WebSocketServerOptions, req = request()) {
  const reported: Error[] = [];
  const decision = await negotiateUpgrade(req, options, nodeSha1, (error) => reported.push(error));
  return { decision, reported };
}

describe('negotiateUpgrade', () => {
  test('accepts with the RFC 6455 4.2.2 accept key (the RFC 1.3 example)', async () => {
    const { decision } = await decide({});
    assert.equal(decision.kind, 'accept');
    assert.match(decision.response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(decision.response, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  });

  test('the path is checked before anything else: 404, marked not-mine', async () => {
    const { decision } = await decide({ path: '/ws' }, request('/other', { 'sec-websocket-key': 'bad' }));
    assert.equal(decision.kind, 'not-mine');
    assert.match(decision.response, /^HTTP\/1\.1 404 /);
  });

  test('absolute-form request targets are routed by their path', async () => {
    assert.equal(pathnameOf('http://a.example/ws?x=1'), '/ws');
    assert.equal(pathnameOf('/ws?x=1'), '/ws');
    assert.equal(pathnameOf('*'), undefined);
    const { decision } = await decide({ path: '/ws' }, request('http://a.example/ws'));
    assert.equal(decision.kind, 'accept');
  });

  test('authorize is not consulted for an invalid request', async () => {
    let called = false;
    const { decision } = await decide(
      {
        authorize: () => {
          called = true;
        },
      },
      request('/', { 'sec-websocket-version': '12' }),
    );
    assert.equal(decision.kind, 'refuse');
    assert.equal(called, false);
  });

  test('a refusal body is sent exactly; an empty one becomes the reason phrase', async () => {
    const exact = await decide({
      authorize: () => ({ status: 429, headers: { 'Retry-After': '5' }, body: 'slow down' }),
    });
    assert.match(exact.decision.response, /^HTTP\/1\.1 429 Too Many Requests\r\n/);
    assert.match(exact.decision.response, /Retry-After: 5\r\n/);
    assert.ok(exact.decision.response.endsWith('\r\n\r\nslow down'));
    const empty = await decide({ authorize: () => ({ status: 403, body: '' }) });
    assert.ok(empty.decision.response.endsWith('\r\n\r\nForbidden'));
  });

  test('a refusal with an invalid status or unwritable headers still answers', async () => {
    const badStatus = await decide({ authorize: () => ({ status: 200 }) });
    assert.match(badStatus.decision.response, /^HTTP\/1\.1 500 /);
    const badHeader = await decide({ authorize: () => ({ status: 401, headers: { 'X-A': 'a\r\nb' } }) });
    assert.match(badHeader.decision.response, /^HTTP\/1\.1 401 /);
    assert.doesNotMatch(badHeader.decision.response, /X-A/);
  });

  test('subprotocol choice and extension negotiation land in the 101', async () => {
    const { decision } = await decide(
      { subprotocols: ['b', 'a'], perMessageDeflate: true },
      request('/', {
        'sec-websocket-protocol': 'a, b',
        'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
      }),
    );
    assert.equal(decision.kind, 'accept');
    if (decision.kind !== 'accept') return;
    assert.equal(decision.protocol, 'b');
    assert.match(decision.response, /Sec-WebSocket-Protocol: b\r\n/);
    assert.match(decision.extensions, /^permessage-deflate/);
    assert.ok(decision.extension);
    decision.extension.dispose();
  });

  test('a hook that throws is reported and answered with 500', async () => {
    const { decision, reported } = await decide(
      {
        subprotocols: () => {
          throw new Error('boom');
        },
      },
      request('/', { 'sec-websocket-protocol': 'a' }),
    );
    assert.match(decision.response, /^HTTP\/1\.1 500 /);
    assert.equal(reported[0]?.message, 'boom');
  });

  test('path, origins and subprotocols functions may be async: their answers are awaited', async () => {
    const withOrigin = request('/ws', { origin: 'https://a.example', 'sec-websocket-protocol': 'a, b' });
    const accepted = await decide(
      {
        path: async (pathname) => pathname === '/ws',
        origins: async (origin) => origin === 'https://a.example',
        subprotocols: async (offered) => offered[1],
      },
      withOrigin,
    );
    assert.equal(accepted.decision.kind, 'accept');
    assert.match(accepted.decision.response, /Sec-WebSocket-Protocol: b\r\n/);
    const wrongPath = await decide({ path: async () => false }, withOrigin);
    assert.equal(wrongPath.decision.kind, 'not-mine');
    // Before: a promise was truthy, so an async origins function allowed every origin.
    const wrongOrigin = await decide({ origins: async () => false }, withOrigin);
    assert.match(wrongOrigin.decision.response, /^HTTP\/1\.1 403 /);
  });

  for (const hook of ['path', 'origins', 'authorize', 'subprotocols'] as const) {
    test(`${hook} that returns a rejected promise is reported and answered with 500`, async () => {
      const error = new Error(`${hook} rejected`);
      const { decision, reported } = await decide(
        { [hook]: () => Promise.reject(error) },
        request('/', { origin: 'https://a.example', 'sec-websocket-protocol': 'a' }),
      );
      assert.match(decision.response, /^HTTP\/1\.1 500 /);
      assert.deepEqual(reported, [error]);
    });
  }
});
