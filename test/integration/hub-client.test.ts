// The hub client (fullduplex/client) in Node over fullduplex's WebSocket class, against a real
// `fullduplex serve --mode hub` process that is killed and restarted, stopped with SIGSTOP, and
// against servers that refuse it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from '../../src/client/web-socket/web-socket.js';
import {
  HubClient,
  type HubClientError,
  type HubClientOptions,
  type HubClient as HubClientType,
  type SubscribedEvent,
  type TopicMessage,
} from '../../src/hub-client/index.js';
import { startServe } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { startHubProcess } from '../helpers/hub-process.js';

const _bin = new URL('../../../bin/fullduplex.js', import.meta.url).pathname;
const children = new Set<ChildProcess>();
const clients = new Set<{ close(): void }>();

after(async () => {
  for (const client of clients) client.close();
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
});

/** `fullduplex serve --mode hub` on `port` (the same port again after a restart). */
async function startHub(port: number): Promise<ChildProcess> {
  const hub = await startHubProcess(['--history', '100'], port);
  children.add(hub.child);
  return hub.child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  children.delete(child);
}

/** Polls `predicate` every 10 ms; fails after `timeoutMs`. */
async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The WebSocket sockets each client opened, so a test can cut one from under it. */
function tracked(): { sockets: WebSocket[]; WebSocket: typeof WebSocket } {
  const sockets: WebSocket[] = [];
  class Tracked extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  return { sockets, WebSocket: Tracked };
}

function hubClient<T = string>(url: string, options: HubClientOptions<T> = {}): HubClientType<T> {
  const client = new HubClient<T>(url, {
    WebSocket,
    reconnect: { initialDelay: 100, maxDelay: 400 },
    ...options,
  });
  clients.add(client);
  return client;
}

async function connected(client: { connect(): void; readonly state: string }): Promise<void> {
  client.connect();
  await waitFor('connected', () => client.state === 'connected');
}

describe('hub client against serve --mode hub', () => {
  test('kill and restart: it reconnects, resubscribes, says the history was lost (epoch-changed), queued publishes go out', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/`;
    let server = await startHub(port);
    const reader = hubClient(url);
    const writer = hubClient(url);
    const news = reader.subscribe('news');
    const received: TopicMessage<string>[] = [];
    const answers: SubscribedEvent[] = [];
    const recovered: { complete: boolean }[] = [];
    news.on('message', (message) => received.push(message));
    news.on('subscribed', (event) => answers.push(event));
    reader.on('recovered', (event) => recovered.push(event));
    await connected(reader);
    await connected(writer);
    await waitFor('subscribed', () => answers.length === 1);
    const before = [await writer.publish('news', 'a1'), await writer.publish('news', 'a2')];
    await waitFor('a1, a2', () => received.length === 2);

    await kill(server);
    await waitFor('both disconnected', () => reader.state !== 'connected' && writer.state !== 'connected');
    const queued = [writer.publish('news', 'b1'), writer.publish('news', 'b2')];
    server = await startHub(port);

    const acks = await Promise.all(queued);
    assert.notEqual(acks[0]?.epoch, before[0]?.epoch, 'a new process starts a new epoch');
    assert.deepEqual(
      acks.map((ack) => ack.offset),
      [1, 2],
      'the queued publishes went out in order',
    );
    await waitFor('resubscribed', () => answers.length === 2);
    assert.equal(answers[1]?.resubscribed, true);
    assert.equal(answers[1]?.recovered, false);
    assert.equal(answers[1]?.reason, 'epoch-changed');
    assert.deepEqual(recovered, [{ complete: false, topics: [answers[1]] }]);
    await writer.publish('news', 'c1');
    await waitFor('c1', () => received.at(-1)?.data === 'c1');
    const data = received.map((message) => message.data);
    assert.deepEqual(data.slice(0, 2), ['a1', 'a2']);
    assert.equal(new Set(data).size, data.length, `no duplicates in ${data.join()}`);
    // b1 and b2 arrive only if the writer's queue went out after the reader resubscribed: either way
    // what arrives is in offset order within the new epoch.
    const fresh = received.slice(2).map((message) => message.offset);
    assert.deepEqual(
      fresh,
      [...fresh].sort((a, b) => a - b),
    );
    reader.close();
    writer.close();
    await kill(server);
  });

  test('a dropped connection while the server lives: every message published meanwhile, in order, once, recovered: true', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/`;
    const server = await startHub(port);
    const cut = tracked();
    const reader = hubClient(url, {
      WebSocket: cut.WebSocket,
      reconnect: { initialDelay: 400, maxDelay: 400 },
    });
    const writer = hubClient(url);
    const news = reader.subscribe('news');
    const received: TopicMessage<string>[] = [];
    const answers: SubscribedEvent[] = [];
    news.on('message', (message) => received.push(message));
    news.on('subscribed', (event) => answers.push(event));
    await connected(reader);
    await connected(writer);
    await waitFor('subscribed', () => answers.length === 1);
    for (const n of [1, 2, 3]) await writer.publish('news', `m${n}`);
    await waitFor('m1..m3', () => received.length === 3);

    // Counted by event: with full jitter the next attempt may start within a millisecond, too soon
    // for a poll of the state to see 'disconnected'.
    let disconnects = 0;
    reader.on('disconnected', () => {
      disconnects++;
    });
    cut.sockets.at(-1)?.close();
    await waitFor('disconnected', () => disconnects === 1);
    for (const n of [4, 5, 6, 7, 8]) await writer.publish('news', `m${n}`);
    await waitFor('resubscribed', () => answers.length === 2);
    assert.equal(answers[1]?.resubscribed, true);
    assert.equal(answers[1]?.recovered, true);
    await writer.publish('news', 'm9');
    await waitFor('m9', () => received.at(-1)?.data === 'm9');
    assert.deepEqual(
      received.map((message) => message.data),
      ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9'],
    );
    assert.deepEqual(
      received.map((message) => message.offset),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal(new Set(received.map((message) => message.epoch)).size, 1);
    reader.close();
    writer.close();
    await kill(server);
  });

  test('SIGSTOP: the heartbeat notices the silent server, the client retries, and is back after SIGCONT', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/`;
    const server = await startHub(port);
    // The CLI hub pings every 25 s; a short heartbeatTimeout keeps the test short.
    const client = hubClient(url, { heartbeatTimeout: 1000, connectTimeout: 1000 });
    const disconnects: { reason: string; at: number }[] = [];
    client.on('disconnected', (event) => disconnects.push({ reason: event.reason, at: Date.now() }));
    const reconnects: boolean[] = [];
    client.on('connected', (event) => reconnects.push(event.reconnected));
    await connected(client);
    const stoppedAt = Date.now();
    server.kill('SIGSTOP');
    await waitFor('heartbeat timeout', () => disconnects.length > 0, 5000);
    assert.equal(disconnects[0]?.reason, 'heartbeat timeout');
    const noticedAfter = (disconnects[0]?.at ?? 0) - stoppedAt;
    assert.ok(noticedAfter < 3000, `noticed after ${noticedAfter} ms`);
    // While stopped the kernel still accepts TCP connections, but no handshake completes.
    await waitFor(
      'a connect timeout',
      () => disconnects.some((event) => event.reason === 'connect timeout'),
      5000,
    );
    assert.equal(client.state === 'connected', false);
    server.kill('SIGCONT');
    await waitFor('reconnected', () => reconnects.includes(true), 10_000);
    client.close();
    await kill(server);
  });
});

describe('hub client against servers that refuse it', () => {
  for (const status of [401, 403]) {
    test(`a ${status} refusal reaches the application as unauthorized, with no reconnect storm`, async () => {
      let upgrades = 0;
      const server = createServer();
      server.on('upgrade', (_request, socket: Socket) => {
        upgrades++;
        socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as { port: number };
      try {
        const client = hubClient(`ws://127.0.0.1:${port}/`, {
          reconnect: { initialDelay: 10, maxDelay: 10 },
        });
        const failed: HubClientError[] = [];
        client.on('failed', (error) => failed.push(error));
        client.connect();
        await waitFor('failed', () => failed.length === 1);
        assert.equal(failed[0]?.code, 'unauthorized');
        assert.match(failed[0]?.message ?? '', new RegExp(String(status)));
        await sleep(500);
        assert.equal(upgrades, 1, 'one attempt, no retries');
        assert.equal(client.state, 'closed');
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });
  }

  test('a server that does not speak the hub protocol (serve --mode echo) is a protocol mismatch, not retried', async () => {
    const echo = await startServe(['--mode', 'echo']);
    try {
      const client = hubClient(echo.url, { reconnect: { initialDelay: 10, maxDelay: 10 } });
      const failed: HubClientError[] = [];
      const attempts: number[] = [];
      client.on('failed', (error) => failed.push(error));
      client.on('connecting', (event) => attempts.push(event.attempt));
      client.connect();
      await waitFor('failed', () => failed.length === 1);
      assert.equal(failed[0]?.code, 'protocol-mismatch');
      await sleep(300);
      assert.deepEqual(attempts, [1]);
    } finally {
      await echo.stop();
    }
  });
});
