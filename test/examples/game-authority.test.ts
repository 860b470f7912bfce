// examples/game/authority.mjs and examples/shared/lease.mjs: the transport around the rules. Two
// "processes" are two hubs on one MemoryBackend (as two servers share Redis) with a lease the test
// hands over; the Redis lease itself runs against a real redis-server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHub, type Hub, MemoryBackend, MemoryBroker, type TopicOptions } from '../../src/hub/index.js';
import { type RedisServer, redisMissing, startRedis } from '../helpers/redis-server.js';

interface Snapshot {
  term: number;
  authority: string;
  tick: number;
  players: { id: string; name: string; x: number; y: number; score: number; ack: number }[];
  items: { id: number; x: number; y: number }[];
}
interface Lease {
  acquire(): Promise<number>;
  renew(): Promise<boolean>;
  validFor(): number;
  release(): Promise<void>;
}
interface Authority {
  status(): { authority: boolean; term: number; tick: number | null; refused: number; inputs: number };
  stop(): Promise<void>;
}
interface AuthorityModule {
  ArenaAuthority: new (options: {
    hub: Hub;
    arena: string;
    lease: Lease;
    label: string;
    hz: number;
    items: number;
    leaseEveryMs: number;
    log?: (line: string) => void;
  }) => Authority;
  gameTopicOptions(topic: string): TopicOptions | undefined;
  stateTopic(arena: string): string;
  inputTopic(arena: string): string;
  lockOf(secret: string): string;
}
interface LeaseModule {
  RedisLease: new (options: { redis: unknown; name: string; ttlMs: number }) => Lease;
  connectRedis(url: string): Promise<{ close(): Promise<void> }>;
}

const examples = new URL('../../../examples/game/', import.meta.url);
const { ArenaAuthority, gameTopicOptions, stateTopic, inputTopic, lockOf } = (await import(
  new URL('authority.mjs', examples).href
)) as AuthorityModule;
const { RedisLease, connectRedis } = (await import(
  new URL('../shared/lease.mjs', examples).href
)) as LeaseModule;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A lease the test gives to one holder at a time, with a term counter like the Redis one. */
function leaseSwitch() {
  let owner: string | undefined;
  let term = 0;
  const leaseFor = (name: string): Lease => ({
    acquire: async () => (owner === name ? ++term : 0),
    renew: async () => owner === name,
    validFor: () => (owner === name ? Number.POSITIVE_INFINITY : 0),
    release: async () => {},
  });
  return {
    leaseFor,
    give(name: string | undefined) {
      owner = name;
    },
  };
}

describe('examples/game authority over two hubs sharing a broker', () => {
  const ARENA = 'test';
  const backend = new MemoryBackend();
  const hubs = ['A', 'B'].map(() =>
    createHub({ broker: new MemoryBroker({ backend }), topicOptions: gameTopicOptions }),
  );
  const [hubA, hubB] = hubs as [Hub, Hub];
  const leases = leaseSwitch();
  const authorities: Authority[] = [];

  after(async () => {
    for (const authority of authorities) await authority.stop();
    for (const hub of hubs) await hub.close();
  });

  async function latest(): Promise<Snapshot | undefined> {
    const read = await hubA.history(stateTopic(ARENA), { limit: 1 });
    const data = read.ok ? read.publications[0]?.data : undefined;
    return typeof data === 'string' ? (JSON.parse(data) as Snapshot) : undefined;
  }
  const where = async (test: (snapshot: Snapshot) => boolean) => {
    const snapshot = await latest();
    return snapshot && test(snapshot) ? snapshot : undefined;
  };
  let seq = 0;
  function sendInput(hub: Hub, dx: number, secret = 'alice-secret-0123456789'): Promise<unknown> {
    seq += 1;
    return hub.publish(
      inputTopic(ARENA),
      JSON.stringify({ p: 'alice1', k: secret, n: 'alice', s: seq, x: dx, y: 0 }),
    );
  }

  test('one holder ticks; it rebuilds from the last snapshot; a takeover keeps every score', async () => {
    // A snapshot from an earlier authority, as Redis would keep it across a restart of every process.
    const earlier = {
      arena: ARENA,
      term: 1,
      authority: 'earlier',
      tick: 500,
      hz: 50,
      rng: 99,
      nextItem: 10,
      players: [
        {
          id: 'alice1',
          name: 'alice',
          lock: lockOf('alice-secret-0123456789'),
          x: 100,
          y: 100,
          score: 5,
          ack: 0,
          seen: 500,
        },
      ],
      items: [{ id: 9, x: 800, y: 400 }],
    };
    await hubB.publish(stateTopic(ARENA), JSON.stringify(earlier), { key: 'snapshot' });
    leases.give('A');
    for (const [hub, label] of [
      [hubA, 'A'],
      [hubB, 'B'],
    ] as const) {
      authorities.push(
        new ArenaAuthority({
          hub,
          arena: ARENA,
          lease: leases.leaseFor(label),
          label,
          hz: 50,
          items: 3,
          leaseEveryMs: 20,
          log: () => {},
        }),
      );
    }
    const [authorityA, authorityB] = authorities as [Authority, Authority];
    const first = await until('a snapshot from A', () => where((s) => s.authority === 'A'));
    assert.ok(first.tick > 500, `tick ${first.tick} goes on from the earlier one`);
    assert.deepEqual(
      first.players.map((p) => [p.id, p.score, p.x, p.y]),
      [['alice1', 5, 100, 100]],
    );
    assert.deepEqual(first.items, earlier.items);
    assert.equal(authorityA.status().authority, true);
    assert.equal(authorityB.status().authority, false);

    // An input published on the other process's hub moves alice on A's arena.
    await sendInput(hubB, 1);
    const moved = await until('the input applied', () => where((s) => s.players[0]!.ack === seq));
    assert.ok(moved.players[0]!.x > 100);
    // Someone else's input for alice (another secret) is refused and moves nothing.
    await sendInput(hubB, 1, 'not-alice-secret-000000');
    await until('the refusal counted', async () => (authorityA.status().refused > 0 ? true : undefined));
    assert.equal((await latest())!.players[0]!.x, moved.players[0]!.x);

    // Hand the lease over: A stops, B rebuilds from A's last snapshot, with a higher term.
    leases.give('B');
    const fromB = await until('a snapshot from B', () => where((s) => s.authority === 'B'));
    assert.ok(fromB.term > moved.term, `term ${fromB.term} after ${moved.term}`);
    assert.equal(authorityA.status().authority, false);
    assert.equal(authorityB.status().authority, true);
    assert.deepEqual(
      fromB.players.map((p) => [p.id, p.score, p.x, p.y]),
      [['alice1', 5, moved.players[0]!.x, 100]],
    );
    const lastTickOfA = authorityA.status().tick!;
    assert.ok(fromB.tick > lastTickOfA, `B's tick ${fromB.tick} continues after A's ${lastTickOfA}`);
    // Nothing from A after B took over: every later snapshot is B's.
    for (let i = 0; i < 10; i++) {
      assert.equal((await latest())!.authority, 'B');
      await sleep(15);
    }
    await sendInput(hubA, -1);
    await until('an input applied by B', () =>
      where((s) => s.authority === 'B' && s.players[0]!.ack === seq),
    );
  });

  test('bad inputs are counted and dropped; the arena ticks on', async () => {
    const authority = authorities.find((a) => a.status().authority)!;
    const before = authority.status();
    for (const text of ['{not json', '"a string"', JSON.stringify({ p: 'x', k: 'short' }), 'x'.repeat(600)]) {
      await hubA.publish(inputTopic(ARENA), text);
    }
    await until('four refusals', async () =>
      authority.status().refused >= before.refused + 4 ? true : undefined,
    );
    const tick = authority.status().tick!;
    await until('more ticks', async () => (authority.status().tick! > tick + 5 ? true : undefined));
  });
});

describe('examples/game RedisLease against redis-server', { skip: redisMissing() }, () => {
  let redis: RedisServer;
  const clients: { close(): Promise<void> }[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const client of clients) await client.close();
    await redis?.stop();
  });

  test('one holder at a time; an unrenewed lease expires to the next one, with a higher term', async () => {
    const open = async () => {
      const client = await connectRedis(redis.url);
      clients.push(client);
      return new RedisLease({ redis: client, name: 'test:arena', ttlMs: 400 });
    };
    const [one, two] = [await open(), await open()];
    const first = await one.acquire();
    assert.ok(first > 0);
    assert.equal(await two.acquire(), 0, 'held by the first');
    assert.ok(one.validFor() > 0 && one.validFor() <= 400);
    assert.equal(two.validFor(), 0);
    assert.equal(await one.renew(), true);
    assert.equal(await two.renew(), false, 'renewing is for the holder only');

    // The first stops renewing (as a killed process would): the second gets it after the TTL.
    const second = await until('the lease to expire', async () => {
      const term = await two.acquire();
      return term > 0 ? term : undefined;
    });
    assert.ok(second > first, `term ${second} after ${first}`);
    assert.equal(one.validFor(), 0, 'the first one knows its time is up by its own clock');
    assert.equal(await one.renew(), false);

    // Giving it up hands it over at once.
    await two.release();
    assert.equal(two.validFor(), 0);
    const third = await one.acquire();
    assert.ok(third > second);
  });
});
