// AdmissionTable (src/server/admission-table.ts) on a fake clock, without sockets: the table and
// per-address limits, eviction of the oldest least-advanced entry of another address, the first-byte
// and handshake deadlines, and every slot counted back on every path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AdmissionLimits,
  AdmissionTable,
  type HandshakePhase,
  LOOK_UP_ADDRESS,
  NEWCOMER_GRACE,
  type PendingEntry,
} from '../../../src/server/admission-table.js';
import { FakeClock } from '../../helpers/fake-clock.js';

interface Happened {
  readonly expired: Array<[string, HandshakePhase, boolean]>;
  readonly evicted: Array<[string, HandshakePhase]>;
}

function setUp(limits: Partial<AdmissionLimits> = {}, heard: (name: string) => boolean = () => false) {
  const clock = new FakeClock();
  const happened: Happened = { expired: [], evicted: [] };
  const table = new AdmissionTable<string>(
    { maxPending: 4, maxPerAddress: 3, timeout: 10_000, firstByteTimeout: 3_000, ...limits },
    {
      expired: (name, phase, firstByte) => happened.expired.push([name, phase, firstByte]),
      evicted: (name, phase) => happened.evicted.push([name, phase]),
      heard,
    },
    clock,
  );
  const admit = (name: string, address: string | undefined, phase: HandshakePhase = 'silent') => {
    const entry = table.admit(name, address, phase);
    return entry;
  };
  return { clock, happened, table, admit };
}

function entryOf<T>(result: PendingEntry<T> | string): PendingEntry<T> {
  assert.ok(typeof result !== 'string', `refused: ${String(result)}`);
  return result;
}

describe('AdmissionTable: limits', () => {
  test('a newcomer from an address at maxPerAddress is refused; others are admitted', () => {
    const { table, admit } = setUp({ maxPending: 10, maxPerAddress: 2 });
    entryOf(admit('a1', '10.0.0.1'));
    entryOf(admit('a2', '10.0.0.1'));
    assert.equal(admit('a3', '10.0.0.1'), 'address-full');
    entryOf(admit('b1', '10.0.0.2'));
    entryOf(admit('h1', undefined, 'negotiating'));
    assert.equal(table.size, 4);
    assert.equal(table.countOf('10.0.0.1'), 2);
  });

  test('a full table of one address refuses another newcomer of that address (same address never evicts)', () => {
    const { happened, table, admit } = setUp({ maxPending: 3, maxPerAddress: 100 });
    for (const name of ['a1', 'a2', 'a3']) entryOf(admit(name, '10.0.0.1'));
    assert.equal(admit('a4', '10.0.0.1'), 'table-full');
    assert.equal(table.size, 3);
    assert.deepEqual(happened.evicted, []);
  });

  test('a slot left is a slot reused, and the per-address count goes back to zero', () => {
    const { table, admit } = setUp({ maxPending: 2, maxPerAddress: 2 });
    const first = entryOf(admit('a1', '10.0.0.1'));
    entryOf(admit('a2', '10.0.0.1'));
    table.leave(first);
    table.leave(first); // twice is harmless
    assert.equal(table.size, 1);
    assert.equal(table.countOf('10.0.0.1'), 1);
    entryOf(admit('a3', '10.0.0.1'));
    assert.deepEqual(table.clear().sort(), ['a2', 'a3']);
    assert.equal(table.size, 0);
    assert.equal(table.countOf('10.0.0.1'), 0);
  });
});

describe('AdmissionTable: eviction when full', () => {
  test('the newcomer takes the slot of the oldest silent entry of another address', () => {
    const { clock, happened, table, admit } = setUp({ maxPending: 3, maxPerAddress: 100 });
    entryOf(admit('x1', '10.0.0.9'));
    clock.advance(10);
    entryOf(admit('x2', '10.0.0.9'));
    clock.advance(10);
    entryOf(admit('x3', '10.0.0.8'));
    const honest = entryOf(admit('honest', '127.0.0.1'));
    assert.deepEqual(happened.evicted, [['x1', 'silent']]);
    assert.equal(table.size, 3);
    assert.equal(table.countOf('10.0.0.9'), 1);
    assert.equal(honest.phase, 'silent');
    // The evicted one's deadline no longer runs.
    clock.advance(20_000);
    assert.deepEqual(
      happened.expired.map(([name]) => name).sort(),
      ['honest', 'x2', 'x3'],
      'only entries still in the table expire',
    );
  });

  test('least advanced first: silent, then TLS, then a partial head; a complete head is never evicted', () => {
    const { clock, happened, table, admit } = setUp({ maxPending: 4, maxPerAddress: 100 });
    const head = entryOf(admit('head', '10.0.0.1'));
    table.advance(head, 'head');
    entryOf(admit('tls', '10.0.0.2', 'tls'));
    const done = entryOf(admit('done', '10.0.0.3'));
    table.advance(done, 'negotiating');
    entryOf(admit('silent', '10.0.0.4'));
    clock.advance(NEWCOMER_GRACE); // none of them just arrived any more

    entryOf(admit('n1', '127.0.0.1'));
    assert.deepEqual(happened.evicted, [['silent', 'silent']]);
    table.advance(entryOf(table.admit('n2', '127.0.0.2', 'negotiating')), 'negotiating');
    assert.deepEqual(happened.evicted.at(-1), ['tls', 'tls']);
    table.advance(entryOf(table.admit('n3', '127.0.0.3', 'negotiating')), 'negotiating');
    assert.deepEqual(happened.evicted.at(-1), ['head', 'head']);
    // Left: done, n2, n3 (complete heads) and n1, silent but just arrived: the last one evictable.
    entryOf(admit('n4', '127.0.0.4'));
    assert.deepEqual(happened.evicted.at(-1), ['n1', 'silent']);
    const n4 = table.admit('n5', '127.0.0.5', 'negotiating');
    assert.equal(happened.evicted.at(-1)?.[0], 'n4');
    entryOf(n4);
    assert.equal(admit('n6', '127.0.0.6'), 'table-full', 'only complete heads are left');
    assert.equal(happened.evicted.length, 5);
  });

  test('a newcomer of the last second is evicted after partial heads: an attacker reconnecting at once cannot displace it', () => {
    const { clock, happened, table, admit } = setUp({ maxPending: 3, maxPerAddress: 100 });
    for (const name of ['s1', 's2', 's3']) {
      const slow = entryOf(admit(name, `10.0.0.${name}`));
      table.advance(slow, 'head'); // a slowloris: one byte, then nothing for a while
      clock.advance(10);
    }
    const honest = entryOf(admit('honest', '127.0.0.1'));
    assert.deepEqual(happened.evicted, [['s1', 'head']]);
    // s1 reconnects at once (silent again, and just arrived): it evicts s2, not the honest newcomer.
    entryOf(admit('s1 again', '10.0.0.s1'));
    assert.deepEqual(happened.evicted.at(-1), ['s2', 'head']);
    assert.equal(honest.gone, false);
    // Once a second old and still silent, the honest one is fair game again (before s3's partial head).
    clock.advance(NEWCOMER_GRACE);
    entryOf(admit('late', '10.0.0.9'));
    assert.deepEqual(happened.evicted.at(-1), ['honest', 'silent']);
  });

  test('a partial head is evicted before a complete one, and when only complete heads remain the newcomer is refused', () => {
    const { happened, table, admit } = setUp({ maxPending: 2, maxPerAddress: 100 });
    const slow = entryOf(admit('slow', '10.0.0.1'));
    table.advance(slow, 'head');
    const ready = entryOf(admit('ready', '10.0.0.2'));
    table.advance(ready, 'negotiating');
    const newcomer = entryOf(admit('new', '127.0.0.1'));
    assert.deepEqual(happened.evicted, [['slow', 'head']]);
    table.advance(newcomer, 'negotiating');
    assert.equal(admit('late', '127.0.0.2'), 'table-full');
    assert.equal(admit('proxied', undefined, 'negotiating'), 'table-full');
  });

  test('the oldest within a phase is the one that entered it first', () => {
    const { clock, happened, table, admit } = setUp({ maxPending: 2, maxPerAddress: 100 });
    const early = entryOf(admit('early', '10.0.0.1'));
    clock.advance(100);
    const late = entryOf(admit('late', '10.0.0.2'));
    table.advance(late, 'head');
    clock.advance(100);
    table.advance(early, 'head');
    entryOf(admit('new', '127.0.0.1'));
    assert.deepEqual(happened.evicted, [['late', 'head']]);
  });

  test('many addresses each under their cap cannot keep a newcomer out; it is the last to be evicted', () => {
    const { happened, table, admit } = setUp({ maxPending: 8, maxPerAddress: 2 });
    let serial = 0;
    for (let address = 0; address < 4; address++) {
      for (let each = 0; each < 2; each++) entryOf(admit(`x${serial++}`, `10.0.1.${address}`));
    }
    const honest = entryOf(admit('honest', '127.0.0.1'));
    // The attackers reconnect as soon as they are evicted: seven more newcomers leave the honest one alone.
    for (let index = 0; index < 7; index++) {
      const [victim] = happened.evicted.at(-1) as [string, HandshakePhase];
      entryOf(admit(`${victim}'`, `10.0.2.${index}`));
    }
    assert.ok(!happened.evicted.some(([name]) => name === 'honest'));
    assert.equal(honest.gone, false);
    assert.equal(table.size, 8);
  });
});

describe('AdmissionTable: deadlines', () => {
  test('a silent entry expires at firstByteTimeout; one that spoke runs on to the handshake deadline', () => {
    const { clock, happened, table, admit } = setUp({ maxPending: 10 });
    entryOf(admit('silent', '10.0.0.1'));
    const spoke = entryOf(admit('spoke', '10.0.0.2'));
    clock.advance(1);
    table.advance(spoke, 'head');
    clock.advance(2_998);
    assert.deepEqual(happened.expired, []);
    clock.advance(1);
    assert.deepEqual(happened.expired, [['silent', 'silent', true]]);
    assert.equal(table.size, 1);
    clock.advance(6_999);
    assert.equal(happened.expired.length, 1);
    clock.advance(1);
    assert.deepEqual(happened.expired.at(-1), ['spoke', 'head', false]);
    assert.equal(table.size, 0);
    assert.equal(clock.pending, 0, 'no timer left behind');
  });

  test('a TLS entry is judged by whether its peer sent a byte (the socket under TLS knows)', () => {
    const spoken = new Set(['hello']);
    const { clock, happened, admit } = setUp({ maxPending: 10 }, (name) => spoken.has(name));
    entryOf(admit('quiet', '10.0.0.1', 'tls'));
    entryOf(admit('hello', '10.0.0.2', 'tls'));
    clock.advance(3_000);
    assert.deepEqual(happened.expired, [['quiet', 'tls', true]]);
    clock.advance(7_000);
    assert.deepEqual(happened.expired.at(-1), ['hello', 'tls', false]);
  });

  test('a handshake deadline shorter than firstByteTimeout is the only one', () => {
    const { clock, happened, admit } = setUp({ timeout: 300 });
    entryOf(admit('silent', '10.0.0.1'));
    clock.advance(300);
    assert.deepEqual(happened.expired, [['silent', 'silent', false]]);
  });

  test('an entry admitted with less time left (TLS moving on) keeps that deadline', () => {
    const { clock, happened, table } = setUp();
    entryOf(table.admit('h', undefined, 'negotiating', 500));
    clock.advance(500);
    assert.deepEqual(happened.expired, [['h', 'negotiating', false]]);
  });

  test('leave and clear stop the timers; no event follows', () => {
    const { clock, happened, table, admit } = setUp();
    const one = entryOf(admit('one', '10.0.0.1'));
    entryOf(admit('two', '10.0.0.2'));
    table.leave(one);
    assert.deepEqual(table.clear(), ['two']);
    clock.advance(60_000);
    assert.deepEqual(happened, { expired: [], evicted: [] });
    assert.equal(clock.pending, 0);
  });
});

describe('AdmissionTable: addresses looked up only when they matter (LOOK_UP_ADDRESS)', () => {
  function lazySetUp(limits: Partial<AdmissionLimits>, addresses: Record<string, string | undefined>) {
    const clock = new FakeClock();
    const lookedUp: string[] = [];
    const evicted: string[] = [];
    const table = new AdmissionTable<string>(
      { maxPending: 4, maxPerAddress: 3, timeout: 10_000, firstByteTimeout: 3_000, ...limits },
      {
        expired: () => {},
        evicted: (name) => evicted.push(name),
        heard: () => false,
        addressOf: (name) => {
          lookedUp.push(name);
          return addresses[name];
        },
      },
      clock,
    );
    return { clock, table, lookedUp, evicted };
  }

  test('below the cap no address is looked up; at it every entry is, and the cap holds as with known addresses', () => {
    const addresses = { a1: '10.0.0.1', a2: '10.0.0.1', a3: '10.0.0.1', a4: '10.0.0.1', b1: '10.0.0.2' };
    const { table, lookedUp } = lazySetUp({ maxPending: 10, maxPerAddress: 3 }, addresses);
    entryOf(table.admit('a1', LOOK_UP_ADDRESS, 'silent'));
    entryOf(table.admit('a2', LOOK_UP_ADDRESS, 'silent'));
    entryOf(table.admit('a3', LOOK_UP_ADDRESS, 'silent'));
    assert.deepEqual(lookedUp, [], 'three entries cannot reach a cap of three');
    assert.equal(table.admit('a4', LOOK_UP_ADDRESS, 'silent'), 'address-full');
    assert.deepEqual(lookedUp.sort(), ['a1', 'a2', 'a3', 'a4']);
    assert.equal(table.countOf('10.0.0.1'), 3);
    entryOf(table.admit('b1', LOOK_UP_ADDRESS, 'silent'));
    assert.equal(table.countOf('10.0.0.2'), 1);
    assert.equal(table.size, 4);
  });

  test('entries that leave before their address was looked up free their slot and no count', () => {
    const addresses = { a1: '10.0.0.1', a2: '10.0.0.1', a3: '10.0.0.1', a4: '10.0.0.1', a5: '10.0.0.1' };
    const { table, lookedUp } = lazySetUp({ maxPending: 10, maxPerAddress: 3 }, addresses);
    const first = entryOf(table.admit('a1', LOOK_UP_ADDRESS, 'silent'));
    const second = entryOf(table.admit('a2', LOOK_UP_ADDRESS, 'silent'));
    table.leave(first);
    table.leave(second);
    assert.equal(table.size, 0);
    assert.equal(table.countOf('10.0.0.1'), 0);
    entryOf(table.admit('a3', LOOK_UP_ADDRESS, 'silent'));
    entryOf(table.admit('a4', LOOK_UP_ADDRESS, 'silent'));
    entryOf(table.admit('a5', LOOK_UP_ADDRESS, 'silent'));
    assert.deepEqual(lookedUp, []);
    // A known address meets the three looked up now.
    assert.equal(table.admit('known', '10.0.0.1', 'silent'), 'address-full');
    assert.equal(table.countOf('10.0.0.1'), 3);
    // Looked-up entries leave with their count.
    table.clear();
    assert.equal(table.countOf('10.0.0.1'), 0);
    assert.equal(table.size, 0);
  });

  test('a full table evicts by looked-up address: another address makes way, the same one never does', () => {
    const addresses = {
      b1: '10.0.0.2',
      b2: '10.0.0.2',
      b3: '10.0.0.2',
      b4: '10.0.0.2',
      b5: '10.0.0.2',
      c1: '10.0.0.3',
    };
    const { clock, table, evicted } = lazySetUp({ maxPending: 4, maxPerAddress: 100 }, addresses);
    for (const name of ['b1', 'b2', 'b3', 'b4']) entryOf(table.admit(name, LOOK_UP_ADDRESS, 'silent'));
    clock.advance(NEWCOMER_GRACE + 1);
    assert.equal(table.admit('b5', LOOK_UP_ADDRESS, 'silent'), 'table-full');
    entryOf(table.admit('c1', LOOK_UP_ADDRESS, 'silent'));
    assert.deepEqual(evicted, ['b1']);
    assert.equal(table.countOf('10.0.0.2'), 3);
    assert.equal(table.countOf('10.0.0.3'), 1);
  });

  test('a holder without an address (its socket already gone) is admitted uncapped', () => {
    const { table } = lazySetUp({ maxPending: 10, maxPerAddress: 1 }, { a1: '10.0.0.1', gone: undefined });
    entryOf(table.admit('a1', LOOK_UP_ADDRESS, 'silent'));
    entryOf(table.admit('gone', LOOK_UP_ADDRESS, 'silent'));
    assert.equal(table.countOf('10.0.0.1'), 1);
    assert.equal(table.size, 2);
  });
});
