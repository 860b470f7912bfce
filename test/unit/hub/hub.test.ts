// The hub over the memory broker: fan-out, recovery (also racing live publications), gap repair,
// presence across processes, limits and authorization. Several hubs on one MemoryBackend play processes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../../../src/connection/connection.js';
import type { Message } from '../../../src/connection/message.js';
import type { Broker, BrokerHandler, HistoryQuery, HistoryResult } from '../../../src/hub/broker.js';
import { createHub, type Hub, HubLimitError } from '../../../src/hub/hub.js';
import { MemoryBackend } from '../../../src/hub/memory-backend.js';
import { MemoryBroker } from '../../../src/hub/memory-broker.js';
import { connectionPair } from '../../helpers/connection-pair.js';

/** A subscriber: the server end for the hub, and what its client end received. */
function peer(): { server: Connection; client: Connection; received: Message[] } {
  const { server, client } = connectionPair();
  const received: Message[] = [];
  client.onMessage((message) => received.push(message));
  return { server, client, received };
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

const texts = (received: Message[]) =>
  received.map((m) => (m.type === 'text' ? m.data : `<${m.data.toString('hex')}>`));
const envelopes = (received: Message[]) =>
  received.map((m) => JSON.parse(m.type === 'text' ? m.data : '{}') as Record<string, unknown>);

/** A broker whose history reads wait for `release()` (to publish inside the recovery window). */
class GatedBroker extends MemoryBroker {
  gate: Promise<void> | undefined;
  release: () => void = () => {};
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.release = resolve;
    });
  }
  override async history(topic: string, query: HistoryQuery): Promise<HistoryResult> {
    if (this.gate && query.since) await this.gate;
    return super.history(topic, query);
  }
}

/** A broker that loses the live publications whose offsets are in `lose` (a link that dropped them). */
class LossyBroker extends MemoryBroker implements Broker {
  readonly lose = new Set<number>();
  override setHandler(handler: BrokerHandler): void {
    super.setHandler({
      ...handler,
      onPublication: (publication) => {
        if (!this.lose.has(publication.offset)) handler.onPublication(publication);
      },
    });
  }
}

describe('hub: fan-out', () => {
  test('every raw subscriber gets each publication as published, text and binary, in order', async () => {
    const hub = createHub();
    const peers = [peer(), peer(), peer()];
    for (const p of peers) await hub.subscribe(p.server, 'room');
    await hub.publish('room', 'one');
    await hub.publish('room', Buffer.from([0xde, 0xad]));
    await hub.publish('other', 'not here');
    await hub.publish('room', 'three');
    for (const p of peers) {
      await until(() => p.received.length === 3);
      assert.deepEqual(texts(p.received), ['one', '<dead>', 'three']);
    }
    await hub.close();
  });

  test('two processes on one backend: a publication through either reaches subscribers of both', async () => {
    const backend = new MemoryBackend();
    const hubA = createHub({ broker: new MemoryBroker({ backend }) });
    const hubB = createHub({ broker: new MemoryBroker({ backend }) });
    const a = peer();
    const b = peer();
    await hubA.subscribe(a.server, 't');
    await hubB.subscribe(b.server, 't');
    for (let i = 0; i < 10; i++) await (i % 2 ? hubA : hubB).publish('t', `m${i}`);
    const expected = Array.from({ length: 10 }, (_, i) => `m${i}`);
    await until(() => a.received.length === 10 && b.received.length === 10);
    assert.deepEqual(texts(a.received), expected);
    assert.deepEqual(texts(b.received), expected);
    await hubA.close();
    await hubB.close();
  });

  test('envelope subscribers get message frames with topic, offset and epoch', async () => {
    const hub = createHub();
    const p = peer();
    const outcome = await hub.subscribe(p.server, 'env', { format: 'envelope' });
    assert.equal(outcome.position.offset, 0);
    await hub.publish('env', 'hi');
    await hub.publish('env', Buffer.from('bin'));
    await until(() => p.received.length === 2);
    assert.deepEqual(envelopes(p.received), [
      { op: 'message', topic: 'env', offset: 1, epoch: outcome.position.epoch, data: 'hi' },
      { op: 'message', topic: 'env', offset: 2, epoch: outcome.position.epoch, data: 'Ymlu', binary: true },
    ]);
    await hub.close();
  });

  test('the last subscriber leaving unsubscribes the process; a closed connection leaves by itself', async () => {
    const hub = createHub();
    const a = peer();
    const b = peer();
    await hub.subscribe(a.server, 'x');
    await hub.subscribe(b.server, 'x');
    assert.equal(hub.localSubscribers('x'), 2);
    assert.equal(await hub.unsubscribe(a.server, 'x'), true);
    assert.equal(await hub.unsubscribe(a.server, 'x'), false);
    b.server.terminate();
    await until(() => hub.localSubscribers('x') === 0);
    await hub.publish('x', 'nobody');
    await sleep(20);
    assert.equal(a.received.length, 0);
    await hub.close();
  });
});

describe('hub: recovery', () => {
  const keep = { topic: { historySize: 100 } };

  test('since a position: the missed publications in order, then live ones, no duplicates', async () => {
    const hub = createHub(keep);
    const first = await hub.publish('r', 'm1');
    await hub.publish('r', 'm2');
    await hub.publish('r', 'm3');
    const p = peer();
    const outcome = await hub.subscribe(p.server, 'r', { since: first });
    assert.deepEqual(outcome, { position: first, recovered: true });
    await hub.publish('r', 'm4');
    await until(() => p.received.length === 3);
    await sleep(20);
    assert.deepEqual(texts(p.received), ['m2', 'm3', 'm4']);
    await hub.close();
  });

  test('publications racing the history read are delivered once, in order', async () => {
    const broker = new GatedBroker();
    const hub = createHub({ broker, ...keep });
    const watcher = peer();
    await hub.subscribe(watcher.server, 'race'); // keeps the process subscribed
    const since = await hub.publish('race', 'm1');
    await hub.publish('race', 'm2');
    broker.hold();
    const p = peer();
    const subscribing = hub.subscribe(p.server, 'race', { since, format: 'envelope' });
    await sleep(10);
    await hub.publish('race', 'm3'); // live while history is pending; also in the history read
    await hub.publish('race', 'm4');
    broker.release();
    const outcome = await subscribing;
    assert.equal(outcome.recovered, true);
    await hub.publish('race', 'm5');
    await until(() => p.received.length === 4);
    await sleep(20);
    assert.deepEqual(
      envelopes(p.received).map((m) => [m.offset, m.data]),
      [
        [2, 'm2'],
        [3, 'm3'],
        [4, 'm4'],
        [5, 'm5'],
      ],
    );
    await hub.close();
  });

  test('another epoch or a trimmed history: recovered false with the reason, then live', async () => {
    const hub = createHub({ topic: { historySize: 2 } });
    const since = await hub.publish('t', 'm1');
    for (let i = 2; i <= 5; i++) await hub.publish('t', `m${i}`);
    const trimmed = peer();
    const outcome = await hub.subscribe(trimmed.server, 't', { since });
    assert.equal(outcome.recovered, false);
    assert.equal(outcome.reason, 'history-gap');
    assert.equal(outcome.position.offset, 5);
    const other = peer();
    const wrongEpoch = await hub.subscribe(other.server, 't', { since: { offset: 1, epoch: 'nope' } });
    assert.equal(wrongEpoch.reason, 'epoch-changed');
    await hub.publish('t', 'm6');
    await until(() => trimmed.received.length === 1 && other.received.length === 1);
    assert.deepEqual(texts(trimmed.received), ['m6']);
    await hub.close();
  });

  test('live publications lost by the broker are repaired from history, in order', async () => {
    const broker = new LossyBroker();
    const hub = createHub({ broker, ...keep });
    const p = peer();
    await hub.subscribe(p.server, 'lossy');
    broker.lose.add(2).add(3);
    for (let i = 1; i <= 5; i++) await hub.publish('lossy', `m${i}`);
    await until(() => p.received.length === 5);
    await sleep(20);
    assert.deepEqual(texts(p.received), ['m1', 'm2', 'm3', 'm4', 'm5']);
    await hub.close();
  });

  test('a loss history cannot repair: hub-protocol subscribers get a gap frame, nothing is repeated', async () => {
    const broker = new LossyBroker();
    const hub = createHub({ broker, topic: { historySize: 0 } });
    const p = peer();
    const outcome = await hub.subscribe(p.server, 'lost', { format: 'envelope' });
    broker.lose.add(2);
    for (let i = 1; i <= 3; i++) await hub.publish('lost', `m${i}`);
    await until(() => p.received.length === 3);
    await sleep(20);
    const frames = envelopes(p.received);
    assert.deepEqual(frames[0], {
      op: 'message',
      topic: 'lost',
      offset: 1,
      epoch: outcome.position.epoch,
      data: 'm1',
    });
    assert.deepEqual(frames[1], {
      op: 'gap',
      topic: 'lost',
      after: { offset: 1, epoch: outcome.position.epoch },
      reason: 'history-gap',
    });
    assert.equal(frames[2]?.offset, 3);
    await hub.close();
  });

  test('after a broker outage the hub fetches what it missed by itself', async () => {
    const backend = new MemoryBackend();
    const lossy = new LossyBroker({ backend });
    const hub = createHub({ broker: lossy, ...keep });
    const publisher = createHub({ broker: new MemoryBroker({ backend }), ...keep });
    const p = peer();
    await hub.subscribe(p.server, 'o');
    await publisher.publish('o', 'm1');
    lossy.lose.add(2).add(3); // published while this process's link was down
    await publisher.publish('o', 'm2');
    await publisher.publish('o', 'm3');
    backend.setAvailable(false);
    backend.setAvailable(true);
    await until(() => p.received.length === 3);
    assert.deepEqual(texts(p.received), ['m1', 'm2', 'm3']);
    await hub.close();
    await publisher.close();
  });
});

describe('hub: presence', () => {
  test('presence is the union over processes; joins and leaves reach hub-protocol subscribers', async () => {
    const backend = new MemoryBackend();
    const options = { topic: { presence: true }, presenceInfo: () => ({ user: 'u' }) };
    const hubA = createHub({ broker: new MemoryBroker({ backend }), ...options });
    const hubB = createHub({ broker: new MemoryBroker({ backend }), ...options });
    const a = peer();
    const b = peer();
    await hubA.subscribe(a.server, 'p', { format: 'envelope' });
    await hubB.subscribe(b.server, 'p');
    const idA = hubA.clientId(a.server);
    const idB = hubB.clientId(b.server);
    const ids = (await hubA.presence('p')).map((e) => e.id).sort();
    assert.deepEqual(ids, [idA, idB].sort());
    assert.deepEqual((await hubB.presence('p')).find((e) => e.id === idA)?.info, { user: 'u' });
    b.server.terminate();
    await until(() => envelopes(a.received).some((m) => m.op === 'leave'));
    const events = envelopes(a.received).map((m) => [m.op, (m.entry as { id: string }).id]);
    assert.deepEqual(events, [
      ['join', idA],
      ['join', idB],
      ['leave', idB],
    ]);
    assert.deepEqual(
      (await hubB.presence('p')).map((e) => e.id),
      [idA],
    );
    await hubA.close();
    await hubB.close();
  });
});

describe('hub: limits and authorization', () => {
  test('bad topic names are refused with ERR_INVALID_ARGUMENT', async () => {
    const hub = createHub();
    const p = peer();
    for (const name of ['', 'a b', 'x'.repeat(201), '/lead', 'trail/', 'a//b', 'caf\u00e9']) {
      await assert.rejects(hub.subscribe(p.server, name), { code: 'ERR_INVALID_ARGUMENT' });
      assert.throws(() => hub.publish(name, 'x'), { code: 'ERR_INVALID_ARGUMENT' });
    }
    await hub.subscribe(p.server, 'a/b:c@d.e-f_g=h~i');
    await hub.close();
  });

  test('maxTopicsPerConnection is a HubLimitError; other topics still work', async () => {
    const hub: Hub = createHub({ limits: { maxTopicsPerConnection: 2 } });
    const p = peer();
    await hub.subscribe(p.server, 'one');
    await hub.subscribe(p.server, 'two');
    await assert.rejects(hub.subscribe(p.server, 'three'), (error) => error instanceof HubLimitError);
    await hub.publish('two', 'still here');
    await until(() => p.received.length === 1);
    await hub.close();
  });

  test('canSubscribe sees the topic and the connection (with its upgrade request); a throw refuses', async () => {
    const errors: Error[] = [];
    const hub = createHub({
      canSubscribe: async (topic, connection) => {
        if (topic === 'boom') throw new Error('hook failed');
        return topic.startsWith('public.') && connection.readyState === 'open';
      },
      onError: (error) => errors.push(error),
    });
    const p = peer();
    await hub.subscribe(p.server, 'public.news');
    await assert.rejects(hub.subscribe(p.server, 'private.x'), { code: 'ERR_POLICY' });
    await assert.rejects(hub.subscribe(p.server, 'boom'), { code: 'ERR_POLICY' });
    assert.equal(errors[0]?.message, 'hook failed');
    assert.deepEqual([...hub.topicsOf(p.server)], ['public.news']);
    await hub.close();
  });

  test('a publish while the broker is down rejects with ERR_BROKER_UNAVAILABLE', async () => {
    const backend = new MemoryBackend();
    const hub = createHub({ broker: new MemoryBroker({ backend }) });
    const states: string[] = [];
    hub.onStateChange((state) => states.push(state));
    backend.setAvailable(false);
    await assert.rejects(hub.publish('t', 'x'), { code: 'ERR_BROKER_UNAVAILABLE' });
    backend.setAvailable(true);
    assert.equal((await hub.publish('t', 'x')).offset, 1);
    assert.deepEqual(states, ['down', 'up']);
    await hub.close();
  });
});
