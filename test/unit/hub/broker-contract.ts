// The broker contract (src/hub/broker.ts), run against any broker: every adapter (memory, Redis,
// NATS) calls brokerContract with a fixture that makes brokers on one shared backend, each playing
// one process of a hub.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Broker,
  BrokerHandler,
  BrokerPublishOptions,
  BrokerState,
  PresenceEvent,
  Publication,
} from '../../../src/hub/broker.js';

export interface BrokerFixture {
  /** A new broker on the shared backend (another process), `up` when it resolves. */
  createBroker(options?: { presenceTtlMs?: number }): Promise<Broker>;
  /** Stop `broker` as a killed process would: no cleanup, no leave. */
  crash(broker: Broker): Promise<void>;
  /** Take the backend down and bring it back (a Redis restart); omitted when it cannot. */
  readonly outage?: { down(): Promise<void>; up(): Promise<void> };
  /** Release the backend (the suite closes the brokers it made). */
  teardown(): Promise<void>;
}

/** What one broker's handler saw. */
class Recorder implements BrokerHandler {
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
  on(topic: string): Publication[] {
    return this.publications.filter((p) => p.topic === topic);
  }
}

const keep: BrokerPublishOptions = { historySize: 100, historyTtlMs: 60_000 };

/** Poll until `check` passes (brokers over a network deliver asynchronously); fail after `ms`. */
async function eventually(check: () => void | Promise<void>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(10);
    }
  }
}

let topicCounter = 0;
function freshTopic(name: string): string {
  return `contract.${name}.${process.pid}.${Date.now()}.${topicCounter++}`;
}

export function brokerContract(name: string, makeFixture: () => Promise<BrokerFixture>): void {
  describe(`broker contract: ${name}`, () => {
    let fixture: BrokerFixture;
    const made: Broker[] = [];

    async function broker(options?: { presenceTtlMs?: number }): Promise<[Broker, Recorder]> {
      const created = await fixture.createBroker(options);
      const recorder = new Recorder();
      created.setHandler(recorder);
      made.push(created);
      return [created, recorder];
    }

    before(async () => {
      fixture = await makeFixture();
    });
    afterEach(async () => {
      for (const b of made.splice(0)) await b.close().catch(() => {});
    });
    after(async () => {
      await fixture.teardown();
    });

    describe('offsets and epochs', () => {
      test('offsets start at 1 and grow by one per publication, in one epoch', async () => {
        const [a] = await broker();
        const topic = freshTopic('offsets');
        const first = await a.publish(topic, 'one', keep);
        const second = await a.publish(topic, 'two', keep);
        const third = await a.publish(topic, 'three', keep);
        assert.equal(first.offset, 1);
        assert.deepEqual([second.offset, third.offset], [2, 3]);
        assert.equal(typeof first.epoch, 'string');
        assert.ok(first.epoch.length > 0);
        assert.equal(second.epoch, first.epoch);
        assert.equal(third.epoch, first.epoch);
      });

      test('topics count separately', async () => {
        const [a] = await broker();
        const x = freshTopic('x');
        const y = freshTopic('y');
        await a.publish(x, '1', keep);
        await a.publish(x, '2', keep);
        assert.equal((await a.publish(y, '1', keep)).offset, 1);
      });

      test('publications from two processes get unique consecutive offsets, seen in one order', async () => {
        const [a, seenA] = await broker();
        const [b, seenB] = await broker();
        const topic = freshTopic('concurrent');
        await a.subscribe(topic);
        await b.subscribe(topic);
        const sends: Promise<{ offset: number }>[] = [];
        for (let i = 0; i < 20; i++) sends.push((i % 2 ? a : b).publish(topic, `m${i}`, keep));
        const offsets = (await Promise.all(sends)).map((p) => p.offset).sort((m, n) => m - n);
        assert.deepEqual(
          offsets,
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        await eventually(() => assert.equal(seenA.on(topic).length, 20));
        await eventually(() => assert.equal(seenB.on(topic).length, 20));
        assert.deepEqual(
          seenA.on(topic).map((p) => p.offset),
          offsets,
        );
        assert.deepEqual(
          seenB.on(topic).map((p) => [p.offset, p.data]),
          seenA.on(topic).map((p) => [p.offset, p.data]),
        );
      });

      test('a topic idle past its history TTL starts a new epoch at offset 1', async () => {
        const [a] = await broker();
        const topic = freshTopic('idle');
        const short = { historySize: 10, historyTtlMs: 150 };
        const before = await a.publish(topic, 'old', short);
        await sleep(400);
        const afterIdle = await a.publish(topic, 'new', short);
        assert.equal(afterIdle.offset, 1);
        assert.notEqual(afterIdle.epoch, before.epoch);
      });

      test('reading a topic with no state gives offset 0 of the epoch its first publication gets', async () => {
        const [a] = await broker();
        const topic = freshTopic('fresh');
        const read = await a.history(topic, { historyTtlMs: 60_000, limit: 0 });
        assert.ok(read.ok);
        assert.equal(read.position.offset, 0);
        assert.deepEqual(read.publications, []);
        const published = await a.publish(topic, 'first', keep);
        assert.deepEqual(published, { offset: 1, epoch: read.position.epoch });
        const since = await a.history(topic, { historyTtlMs: 60_000, since: read.position });
        assert.ok(since.ok);
        assert.deepEqual(
          since.publications.map((p) => p.data),
          ['first'],
        );
      });
    });

    describe('live delivery', () => {
      test('subscribed processes get topic, offset, epoch, data and key; others nothing', async () => {
        const [a, seenA] = await broker();
        const [b, seenB] = await broker();
        const [, seenC] = await broker();
        const topic = freshTopic('live');
        await a.subscribe(topic);
        await b.subscribe(topic);
        const position = await b.publish(topic, 'hello', { ...keep, key: 'k1' });
        const expected = { topic, offset: 1, epoch: position.epoch, data: 'hello', key: 'k1' };
        await eventually(() => assert.deepEqual(seenA.on(topic), [expected]));
        await eventually(() => assert.deepEqual(seenB.on(topic), [expected]));
        await sleep(50);
        assert.equal(seenC.publications.length, 0);
      });

      test('text stays a string and binary stays a Buffer, byte for byte', async () => {
        const [a, seen] = await broker();
        const topic = freshTopic('types');
        await a.subscribe(topic);
        const bytes = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x7b]);
        await a.publish(topic, 'h\u00e9llo \u{1f600}', keep);
        await a.publish(topic, bytes, keep);
        await a.publish(topic, '', keep);
        await a.publish(topic, Buffer.alloc(0), keep);
        await eventually(() => assert.equal(seen.on(topic).length, 4));
        const check = (list: readonly Publication[]) => {
          assert.equal(list[0]?.data, 'h\u00e9llo \u{1f600}');
          assert.ok(Buffer.isBuffer(list[1]?.data));
          assert.deepEqual(list[1]?.data, bytes);
          assert.equal(list[2]?.data, '');
          assert.ok(Buffer.isBuffer(list[3]?.data));
          assert.deepEqual(list[3]?.data, Buffer.alloc(0));
        };
        check(seen.on(topic));
        const read = await a.history(topic, { historyTtlMs: 60_000 });
        assert.ok(read.ok);
        check(read.publications);
      });

      test('subscribe is idempotent and unsubscribe stops delivery', async () => {
        const [a, seen] = await broker();
        const [b] = await broker();
        const topic = freshTopic('sub');
        await a.subscribe(topic);
        await a.subscribe(topic);
        await b.publish(topic, 'once', keep);
        await eventually(() => assert.equal(seen.on(topic).length, 1));
        await a.unsubscribe(topic);
        await a.unsubscribe(topic);
        await b.publish(topic, 'not seen', keep);
        await sleep(100);
        assert.deepEqual(
          seen.on(topic).map((p) => p.data),
          ['once'],
        );
      });
    });

    describe('history', () => {
      test('since a position: the publications after it, in order; at the head: none', async () => {
        const [a] = await broker();
        const topic = freshTopic('since');
        let position = { offset: 0, epoch: '' };
        for (let i = 1; i <= 5; i++) position = await a.publish(topic, `m${i}`, keep);
        const read = await a.history(topic, {
          historyTtlMs: 60_000,
          since: { offset: 2, epoch: position.epoch },
        });
        assert.ok(read.ok);
        assert.deepEqual(
          read.publications.map((p) => [p.offset, p.data, p.epoch, p.topic]),
          [3, 4, 5].map((n) => [n, `m${n}`, position.epoch, topic]),
        );
        assert.deepEqual(read.position, position);
        const head = await a.history(topic, { historyTtlMs: 60_000, since: position });
        assert.ok(head.ok);
        assert.deepEqual(head.publications, []);
      });

      test('without a position: the newest `limit` publications, oldest first', async () => {
        const [a] = await broker();
        const topic = freshTopic('latest');
        for (let i = 1; i <= 5; i++) await a.publish(topic, `m${i}`, keep);
        const read = await a.history(topic, { historyTtlMs: 60_000, limit: 2 });
        assert.ok(read.ok);
        assert.deepEqual(
          read.publications.map((p) => p.data),
          ['m4', 'm5'],
        );
        assert.equal(read.position.offset, 5);
        const all = await a.history(topic, { historyTtlMs: 60_000 });
        assert.ok(all.ok);
        assert.equal(all.publications.length, 5);
      });

      test('history keeps the newest historySize publications; older positions are a gap', async () => {
        const [a] = await broker();
        const topic = freshTopic('trim');
        const small = { historySize: 3, historyTtlMs: 60_000 };
        let position = { offset: 0, epoch: '' };
        for (let i = 1; i <= 6; i++) position = await a.publish(topic, `m${i}`, small);
        const within = await a.history(topic, {
          historyTtlMs: 60_000,
          since: { offset: 3, epoch: position.epoch },
        });
        assert.ok(within.ok);
        assert.deepEqual(
          within.publications.map((p) => p.offset),
          [4, 5, 6],
        );
        const beyond = await a.history(topic, {
          historyTtlMs: 60_000,
          since: { offset: 2, epoch: position.epoch },
        });
        assert.deepEqual(beyond, { ok: false, reason: 'history-gap', position });
      });

      test('historySize 0 keeps nothing: only the head position recovers', async () => {
        const [a] = await broker();
        const topic = freshTopic('none');
        const none = { historySize: 0, historyTtlMs: 60_000 };
        await a.publish(topic, 'a', none);
        const position = await a.publish(topic, 'b', none);
        const gap = await a.history(topic, {
          historyTtlMs: 60_000,
          since: { offset: 1, epoch: position.epoch },
        });
        assert.equal(gap.ok, false);
        assert.equal(!gap.ok && gap.reason, 'history-gap');
        const head = await a.history(topic, { historyTtlMs: 60_000, since: position });
        assert.ok(head.ok);
        assert.equal(head.publications.length, 0);
      });

      test('publications older than the TTL expire from history', async () => {
        const [a] = await broker();
        const topic = freshTopic('ttl');
        // 'old' is past the TTL by the end, 'middle' is not, and the topic never sits idle for a
        // whole TTL: that holds as long as each step takes under 500 ms, even on a loaded machine.
        const ttlMs = 1500;
        const ttl = { historySize: 10, historyTtlMs: ttlMs };
        const first = await a.publish(topic, 'old', ttl);
        await sleep(1000);
        await a.publish(topic, 'middle', ttl);
        await sleep(1000);
        const last = await a.publish(topic, 'new', ttl);
        const read = await a.history(topic, {
          historyTtlMs: ttlMs,
          since: { offset: 0, epoch: first.epoch },
        });
        assert.equal(read.ok, false);
        assert.equal(!read.ok && read.reason, 'history-gap');
        const recent = await a.history(topic, {
          historyTtlMs: ttlMs,
          since: { offset: 1, epoch: first.epoch },
        });
        assert.ok(recent.ok);
        assert.deepEqual(
          recent.publications.map((p) => p.data),
          ['middle', 'new'],
        );
        assert.deepEqual(recent.position, last);
      });

      test('another epoch, a position ahead, or more than `limit`: a clear failure', async () => {
        const [a] = await broker();
        const topic = freshTopic('fail');
        let position = { offset: 0, epoch: '' };
        for (let i = 1; i <= 4; i++) position = await a.publish(topic, `m${i}`, keep);
        const q = (since: { offset: number; epoch: string }, limit?: number) =>
          a.history(topic, { historyTtlMs: 60_000, since, ...(limit === undefined ? {} : { limit }) });
        assert.deepEqual(await q({ offset: 2, epoch: `${position.epoch}x` }), {
          ok: false,
          reason: 'epoch-changed',
          position,
        });
        assert.deepEqual(await q({ offset: 5, epoch: position.epoch }), {
          ok: false,
          reason: 'offset-ahead',
          position,
        });
        assert.deepEqual(await q({ offset: 1, epoch: position.epoch }, 2), {
          ok: false,
          reason: 'limit-exceeded',
          position,
        });
        const fits = await q({ offset: 2, epoch: position.epoch }, 2);
        assert.ok(fits.ok);
        assert.equal(fits.publications.length, 2);
      });

      test('a history read from another process sees the same history', async () => {
        const [a] = await broker();
        const [b] = await broker();
        const topic = freshTopic('shared');
        await a.publish(topic, Buffer.from('x'), keep);
        const position = await a.publish(topic, 'y', keep);
        const read = await b.history(topic, {
          historyTtlMs: 60_000,
          since: { offset: 0, epoch: position.epoch },
        });
        assert.ok(read.ok);
        assert.deepEqual(
          read.publications.map((p) => p.data),
          [Buffer.from('x'), 'y'],
        );
      });
    });

    describe('presence', () => {
      test('entries from every process are listed; joins and leaves reach subscribed processes', async () => {
        const [a, seenA] = await broker();
        const [b] = await broker();
        const topic = freshTopic('presence');
        await a.subscribe(topic);
        await a.addPresence(topic, { id: 'a1', info: { user: 'ann' } });
        await b.addPresence(topic, { id: 'b1' });
        const byId = (list: { id: string }[]) => [...list].sort((x, y) => x.id.localeCompare(y.id));
        assert.deepEqual(byId(await b.listPresence(topic)), [
          { id: 'a1', info: { user: 'ann' } },
          { id: 'b1' },
        ]);
        assert.deepEqual(byId(await a.listPresence(topic)), byId(await b.listPresence(topic)));
        await eventually(() =>
          assert.deepEqual(
            seenA.presence.map((e) => [e.type, e.topic, e.entry.id]),
            [
              ['join', topic, 'a1'],
              ['join', topic, 'b1'],
            ],
          ),
        );
        await b.removePresence(topic, 'b1');
        await eventually(() =>
          assert.deepEqual(seenA.presence.at(-1), { type: 'leave', topic, entry: { id: 'b1' } }),
        );
        assert.deepEqual(await a.listPresence(topic), [{ id: 'a1', info: { user: 'ann' } }]);
      });

      test('adding an id again replaces its entry', async () => {
        const [a] = await broker();
        const topic = freshTopic('replace');
        await a.addPresence(topic, { id: 'x', info: 1 });
        await a.addPresence(topic, { id: 'x', info: 2 });
        assert.deepEqual(await a.listPresence(topic), [{ id: 'x', info: 2 }]);
      });

      test('close removes its own entries and no one else’s', async () => {
        const [a] = await broker();
        const [b] = await broker();
        const topic = freshTopic('close');
        await a.addPresence(topic, { id: 'a' });
        await b.addPresence(topic, { id: 'b' });
        await a.close();
        assert.deepEqual(await b.listPresence(topic), [{ id: 'b' }]);
      });

      test('a crashed process leaves no ghosts past presenceTtlMs; a live one’s entries stay', async () => {
        const ttl = 400;
        const [a] = await broker({ presenceTtlMs: ttl });
        const [b] = await broker({ presenceTtlMs: ttl });
        assert.equal(a.presenceTtlMs, ttl);
        const topic = freshTopic('ghosts');
        await a.addPresence(topic, { id: 'dies' });
        await b.addPresence(topic, { id: 'lives' });
        await fixture.crash(a);
        const crashedAt = Date.now();
        await eventually(async () => {
          assert.deepEqual(await listIds(b, topic), ['lives']);
        }, ttl * 3);
        assert.ok(Date.now() - crashedAt <= ttl * 3);
        await sleep(ttl * 2);
        assert.deepEqual(await listIds(b, topic), ['lives']);
      });
    });

    test('a closed broker rejects calls', async () => {
      const [a] = await broker();
      await a.close();
      await assert.rejects(a.publish(freshTopic('closed'), 'x', keep), { code: 'ERR_CLOSED' });
    });

    describe('outage', () => {
      test('down: reported, publish rejects; up: reported, live delivery resumes by itself', async (t) => {
        const outage = fixture.outage;
        if (!outage) {
          t.skip('this fixture cannot take its backend down');
          return;
        }
        const [a, seenA] = await broker();
        const [b] = await broker();
        const topic = freshTopic('outage');
        await a.subscribe(topic);
        await outage.down();
        await eventually(() => assert.equal(a.state, 'down'), 10_000);
        assert.equal(seenA.states.at(-1), 'down');
        await assert.rejects(b.publish(topic, 'lost', keep), { code: 'ERR_BROKER_UNAVAILABLE' });
        await outage.up();
        await eventually(() => assert.equal(a.state, 'up'), 15_000);
        await eventually(() => assert.equal(b.state, 'up'), 15_000);
        assert.equal(seenA.states.at(-1), 'up');
        await b.publish(topic, 'after', keep);
        await eventually(() => assert.equal(seenA.on(topic).at(-1)?.data, 'after'), 5000);
      });
    });
  });
}

async function listIds(broker: Broker, topic: string): Promise<string[]> {
  return (await broker.listPresence(topic)).map((entry) => entry.id).sort();
}
