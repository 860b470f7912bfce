// What only a real Redis can show about the Redis broker: a restart that lost every key, and which
// channels a process is subscribed to.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerHandler, BrokerState, PresenceEvent, Publication } from '../../../src/hub/broker.js';
import { RedisBroker } from '../../../src/hub/redis/redis-broker.js';
import type { RedisClient } from '../../../src/hub/redis/redis-client.js';
import { clientKinds } from '../../helpers/redis-clients.js';
import { type RedisServer, redisMissing, startRedis } from '../../helpers/redis-server.js';

const keep = { historySize: 100, historyTtlMs: 60_000 };

class Seen implements BrokerHandler {
  readonly publications: Publication[] = [];
  readonly presence: PresenceEvent[] = [];
  readonly states: BrokerState[] = [];
  onPublication(publication: Publication): void {
    this.publications.push(publication);
  }
  onPresence(event: PresenceEvent): void {
    this.presence.push(event);
  }
  onStateChange(state: BrokerState): void {
    this.states.push(state);
  }
}

async function eventually(check: () => void | Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}

for (const kind of clientKinds) {
  describe(`Redis broker (${kind.name}) on a real redis-server`, {
    skip: redisMissing(),
    timeout: 60_000,
  }, () => {
    let redis: RedisServer;
    const clients: RedisClient[] = [];
    const brokers: RedisBroker[] = [];
    async function broker(presenceTtlMs?: number): Promise<[RedisBroker, Seen]> {
      const client = kind.create(redis.url);
      clients.push(client);
      const made = await RedisBroker.connect({ client, ...(presenceTtlMs ? { presenceTtlMs } : {}) });
      const seen = new Seen();
      made.setHandler(seen);
      brokers.push(made);
      return [made, seen];
    }
    async function numsub(channel: string): Promise<number> {
      const probe = await broker();
      const [, count] = (await probe[0]['link'].command(['PUBSUB', 'NUMSUB', channel])) as [Buffer, number];
      return count;
    }
    before(async () => {
      redis = await startRedis();
    });
    after(async () => {
      for (const made of brokers) await made.close().catch(() => {});
      for (const client of clients) {
        try {
          kind.destroy(client);
        } catch {
          // Already destroyed by the test.
        }
      }
      await redis.stop();
    });

    test('a restart that lost the data: old positions fail epoch-changed, presence comes back', async () => {
      const [a, seenA] = await broker(600);
      const [b] = await broker(600);
      await a.subscribe('room');
      await a.addPresence('room', { id: 'ann', info: { name: 'Ann' } });
      const before = await b.publish('room', 'one', keep);
      await redis.kill();
      await eventually(() => assert.equal(a.state, 'down'));
      await assert.rejects(b.publish('room', 'lost', keep), { code: 'ERR_BROKER_UNAVAILABLE' });
      await redis.restart();
      await eventually(() => assert.deepEqual([a.state, b.state], ['up', 'up']));
      assert.deepEqual(seenA.states, ['down', 'up']);
      const after = await b.publish('room', 'two', keep);
      assert.equal(after.offset, 1);
      assert.notEqual(after.epoch, before.epoch);
      const recovery = await a.history('room', { historyTtlMs: 60_000, since: before });
      assert.deepEqual(recovery, { ok: false, reason: 'epoch-changed', position: after });
      await eventually(() => assert.deepEqual(seenA.publications.at(-1)?.data, 'two'));
      // Redis lost the presence entry; the owner's refresh finds its key gone and adds it again.
      await eventually(async () =>
        assert.deepEqual(await b.listPresence('room'), [{ id: 'ann', info: { name: 'Ann' } }]),
      );
    });

    test('a process is subscribed to a channel only while it has a subscription', async () => {
      const [a] = await broker();
      const channel = 'fullduplex:{lonely}';
      assert.equal(await numsub(channel), 0);
      await a.subscribe('lonely');
      assert.equal(await numsub(channel), 1);
      await a.unsubscribe('lonely');
      assert.equal(await numsub(channel), 0);
    });

    test('publishes keep their call order, also right after Redis restarted with no scripts cached', async () => {
      const [a] = await broker();
      await redis.kill();
      await redis.restart();
      await eventually(() => assert.equal(a.state, 'up'));
      const calls = Array.from({ length: 100 }, (_, index) => a.publish('ordered', `n${index}`, keep));
      const offsets = (await Promise.all(calls)).map((position) => position.offset);
      assert.deepEqual(
        offsets,
        offsets.map((_, index) => index + 1),
      );
    });

    test('a topic given up while Redis was away is not subscribed again when it returns', async () => {
      const [a] = await broker();
      await a.subscribe('brief');
      await redis.kill();
      await eventually(() => assert.equal(a.state, 'down'));
      await a.unsubscribe('brief');
      await redis.restart();
      await eventually(() => assert.equal(a.state, 'up'));
      assert.equal(await numsub('fullduplex:{brief}'), 0);
    });

    test("a dead process's entries leave (announced) once its owner key expires", async () => {
      const [a] = await broker(300);
      const [b, seenB] = await broker(300);
      await b.subscribe('lobby');
      await a.addPresence('lobby', { id: 'ghost' });
      await eventually(() => assert.equal(seenB.presence.at(-1)?.type, 'join'));
      kind.destroy(clients[clients.length - 2] as RedisClient);
      await eventually(() =>
        assert.deepEqual(seenB.presence.at(-1), { type: 'leave', topic: 'lobby', entry: { id: 'ghost' } }),
      );
      assert.deepEqual(await b.listPresence('lobby'), []);
    });
  });
}
