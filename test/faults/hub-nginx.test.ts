// The hub across processes, as two machines behind a load balancer would run it: two
// `serve --mode hub --redis` processes on one real redis-server, behind Debian's nginx. Clients speak
// the hub protocol (docs/hub-protocol.md) over `ws`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, describe, test } from 'node:test';
import { type HubProcess, killAllHubProcesses, startHubProcess } from '../helpers/hub-process.js';
import { hubProxyConfig, type Nginx, nginxMissing, startNginx } from '../helpers/nginx.js';
import { type RedisServer, redisMissing, startRedis } from '../helpers/redis-server.js';
import { type Frame, HubPeer } from './harness/hub-peer.js';

const PRESENCE_TTL_SECONDS = 2;

function missing(): false | string {
  return redisMissing() || nginxMissing();
}

async function eventually(check: () => void | Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

const texts = (frames: Frame[]) => frames.map((frame) => frame.data as string);

describe('hub: two processes on one Redis behind nginx', { skip: missing(), timeout: 120_000 }, () => {
  const peers: HubPeer[] = [];
  const stops: Array<() => Promise<void>> = [];
  let redis: RedisServer;

  async function deployment(): Promise<{ a: HubProcess; b: HubProcess; nginx: Nginx }> {
    redis = await startRedis();
    stops.push(() => redis.stop());
    const args = [
      '--redis',
      redis.url,
      '--history',
      '100',
      '--presence',
      '--presence-ttl',
      String(PRESENCE_TTL_SECONDS),
    ];
    const a = await startHubProcess(args);
    const b = await startHubProcess(args);
    const nginx = await startNginx([a.port, b.port]);
    stops.unshift(() => nginx.stop());
    return { a, b, nginx };
  }
  async function peer(url: string): Promise<HubPeer> {
    const opened = await HubPeer.open(url);
    peers.push(opened);
    await opened.waitFor((frame) => frame.op === 'welcome');
    return opened;
  }
  const clientId = (peer: HubPeer): string => peer.frames.find((frame) => frame.op === 'welcome')?.client;

  afterEach(async () => {
    for (const opened of peers.splice(0)) opened.terminate();
    killAllHubProcesses();
    for (const stop of stops.splice(0)) await stop();
  });
  after(() => killAllHubProcesses());

  test('docs/deployment.md shows the nginx configuration this test runs', () => {
    const docs = readFileSync(new URL('../../../docs/deployment.md', import.meta.url), 'utf8');
    const block = /```nginx\n([\s\S]*?)```/.exec(docs)?.[1];
    assert.equal(block?.trim(), hubProxyConfig(8080, [9001, 9002]));
  });

  test('a publication through one process reaches subscribers on both; presence is the union', async () => {
    const { a, b, nginx } = await deployment();
    const subscribers = [await peer(a.url), await peer(b.url), await peer(nginx.url), await peer(nginx.url)];
    for (const subscriber of subscribers) assert.equal((await subscriber.subscribe('room')).op, 'subscribed');
    const publisher = await peer(a.url);
    const published = await publisher.publish('room', 'hello from a');
    assert.equal(published.op, 'published');
    for (const subscriber of subscribers) {
      const message = await subscriber.waitFor((frame) => frame.op === 'message' && frame.topic === 'room');
      assert.deepEqual(
        [message.data, message.offset, message.epoch],
        ['hello from a', published.offset, published.epoch],
      );
    }
    // Presence asked of either process lists the subscribers of both.
    const everyone = subscribers.map(clientId).sort();
    for (const asker of [subscribers[0], subscribers[1]] as HubPeer[]) {
      const answer = await asker.request({ op: 'presence', topic: 'room' });
      assert.deepEqual(answer.entries.map((entry: { id: string }) => entry.id).sort(), everyone);
    }
  });

  test('SIGKILL: its clients reconnect through nginx to the other process, recover from history; its presence expires', async () => {
    const { a, b, nginx } = await deployment();
    const through = [
      await peer(nginx.url),
      await peer(nginx.url),
      await peer(nginx.url),
      await peer(nginx.url),
    ];
    for (const subscriber of through) await subscriber.subscribe('feed');
    const publisher = await peer(b.url);
    for (let index = 1; index <= 5; index++) await publisher.publish('feed', `m${index}`);
    for (const subscriber of through) {
      await eventually(() =>
        assert.deepEqual(texts(subscriber.messages('feed')), ['m1', 'm2', 'm3', 'm4', 'm5']),
      );
    }
    const idsBefore = through.map(clientId);

    a.kill('SIGKILL');
    assert.equal(await a.exited, 'SIGKILL');
    // nginx closes the killed process's clients one by one, so one close says nothing about the
    // others: each client is settled when it is closed or answers a ping through nginx.
    await Promise.all(through.map(closedOrAnswering));
    const dropped = through.filter((subscriber) => subscriber.closed);
    const stayed = through.filter((subscriber) => !subscriber.closed);
    assert.ok(
      dropped.length > 0 && stayed.length > 0,
      `nginx spread the clients: ${dropped.length} on the killed one`,
    );

    // Published while the dropped clients are away.
    for (let index = 6; index <= 8; index++) await publisher.publish('feed', `m${index}`);

    for (const old of dropped) {
      const since = old.lastPosition('feed');
      assert.equal(since?.offset, 5);
      const back = await peer(nginx.url);
      const answer = await back.subscribe('feed', since);
      assert.equal(answer.op, 'subscribed');
      assert.equal(answer.recovered, true);
      await publisher.publish('feed', `live after ${clientId(back)}`);
      await eventually(() =>
        assert.deepEqual(
          texts(back.messages('feed')).slice(0, 3),
          ['m6', 'm7', 'm8'],
          'missed ones first, in order',
        ),
      );
      const offsets = back.messages('feed').map((frame) => frame.offset as number);
      assert.deepEqual(
        offsets,
        offsets.map((_, index) => 6 + index),
        'no gap, no duplicate',
      );
    }
    for (const subscriber of stayed) {
      await eventually(() =>
        assert.deepEqual(texts(subscriber.messages('feed')).slice(0, 8), texts(publisherView(8))),
      );
    }

    // The killed process's entries are gone within the presence TTL (plus a refresh period).
    const deadIds = dropped.map((old) => idsBefore[through.indexOf(old)]);
    const started = Date.now();
    await eventually(async () => {
      const answer = await (stayed[0] as HubPeer).request({ op: 'presence', topic: 'feed' });
      const ids = answer.entries.map((entry: { id: string }) => entry.id);
      for (const id of deadIds) assert.ok(!ids.includes(id), `${id} still listed`);
      for (const subscriber of stayed) assert.ok(ids.includes(clientId(subscriber)));
    }, PRESENCE_TTL_SECONDS * 3000);
    assert.ok(Date.now() - started <= PRESENCE_TTL_SECONDS * 3000);
  });
});

async function closedOrAnswering(subscriber: HubPeer): Promise<void> {
  let answered = false;
  void subscriber.request({ op: 'ping' }).then(
    () => {
      answered = true;
    },
    () => {},
  );
  await eventually(() => assert.ok(subscriber.closed || answered, 'neither closed nor answering'));
}

function publisherView(count: number): Frame[] {
  return Array.from({ length: count }, (_, index) => ({ data: `m${index + 1}` }));
}
