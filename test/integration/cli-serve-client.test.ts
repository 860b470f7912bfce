// `fullduplex serve --mode hub` answers HTTP GET under /client/ with the hub client's built ES modules
// on the same port as its WebSocket upgrades (the browser side is in interop/hub-client-chromium).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { type ServeProcess, startServe } from '../helpers/cli.js';
import { rawRequest } from '../helpers/raw-http.js';

// bin/fullduplex.js runs dist/: what it serves are these files, byte for byte.
const dist = new URL('../../../dist/hub-client/', import.meta.url);
const builtModules = readdirSync(dist).filter((name) => name.endsWith('.js'));

/** The module specifiers a built file imports or re-exports (static and dynamic). */
function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:^|;|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
    found.push(match[1] as string);
  }
  for (const match of source.matchAll(/(?:^|;|\s)import\s*\(?\s*['"]([^'"]+)['"]/g))
    found.push(match[1] as string);
  return found;
}

describe('serve --mode hub: the hub client at /client/', () => {
  let hub: ServeProcess;
  let http: string;
  let port: number;

  before(async () => {
    hub = await startServe(['--mode', 'hub']);
    http = hub.url.replace(/^ws:/, 'http:');
    port = Number(new URL(hub.url).port);
  });
  after(() => hub?.stop());

  test('every built module is served as text/javascript, byte for byte, CORS-readable', async () => {
    assert.ok(builtModules.includes('index.js') && builtModules.length > 5, builtModules.join());
    for (const name of builtModules) {
      const response = await fetch(new URL(`client/${name}`, http));
      assert.equal(response.status, 200, name);
      assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), readFileSync(new URL(name, dist)), name);
    }
  });

  test('the modules import only each other: relative specifiers, each one served (no Node imports)', async () => {
    const reached = new Set<string>();
    const pending = ['index.js'];
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (reached.has(name)) continue;
      reached.add(name);
      const response = await fetch(new URL(`client/${name}`, http));
      assert.equal(response.status, 200, `${name} is served`);
      const source = await response.text();
      assert.doesNotMatch(source, /\bBuffer\b|\bprocess\.|\brequire\(/, `${name} uses a Node global`);
      for (const specifier of importsOf(source)) {
        assert.match(specifier, /^\.\/[a-z-]+\.js$/, `${name} imports ${specifier}`);
        pending.push(specifier.slice(2));
      }
    }
    // The graph from index.js is what a page loads; it holds HubClient's own module.
    assert.ok(reached.has('hub-client.js') && reached.size > 5, [...reached].join());
  });

  test('HEAD has the headers without the body; other methods get 405; unknown names 404', async () => {
    const head = await rawRequest(port, 'HEAD /client/index.js HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), readFileSync(new URL('index.js', dist)).length);
    assert.equal(head.body, '');
    const post = await fetch(new URL('client/index.js', http), { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    for (const path of ['/client/nothing.js', '/client/index.d.ts', '/client/..%2fpackage.json']) {
      const answer = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.equal(answer.status, 404, path);
    }
    const traversal = await rawRequest(port, 'GET /client/../../package.json HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(traversal.status, 404);
  });

  test('other plain requests still get 426, and the same port upgrades WebSocket clients on any path', async () => {
    const other = await fetch(new URL('index.html', http));
    assert.equal(other.status, 426);
    const socket = new WebSocket(`${hub.url}client/index.js`, 'fullduplex.hub.v1');
    const [welcome] = (await new Promise((resolve, reject) => {
      socket.once('message', (data) => resolve([JSON.parse(String(data))]));
      socket.once('error', reject);
    })) as [{ op: string }];
    assert.equal(welcome.op, 'welcome');
    socket.close();
  });
});

describe('serve: /client/ belongs to the hub', () => {
  test('--mode echo does not serve it (426)', async () => {
    const echo = await startServe(['--mode', 'echo']);
    try {
      const response = await fetch(new URL('client/index.js', echo.url.replace(/^ws:/, 'http:')));
      assert.equal(response.status, 426);
    } finally {
      await echo.stop();
    }
  });

  test('--mode hub --page serves it beside the page', async () => {
    const hub = await startServe(['--mode', 'hub', '--page']);
    try {
      const http = hub.url.replace(/^ws:/, 'http:');
      const page = await fetch(http);
      assert.equal(page.status, 200);
      const module = await fetch(new URL('client/index.js', http));
      assert.equal(module.status, 200);
      assert.equal(module.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.deepEqual(Buffer.from(await module.arrayBuffer()), readFileSync(new URL('index.js', dist)));
      const head = await fetch(new URL('client/index.js', http), { method: 'HEAD' });
      assert.equal(head.status, 200);
    } finally {
      await hub.stop();
    }
  });
});
