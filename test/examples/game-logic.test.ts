// examples/game/logic.js: the arena's rules, tested with no sockets and no clock. The module is the
// one the authority and the page load (plain JavaScript, imported here by URL).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

interface Player {
  id: string;
  name: string;
  lock: string;
  x: number;
  y: number;
  score: number;
  ack: number;
  seen: number;
  budget: number;
  queue: { seq: number; dx: number; dy: number }[];
}
interface Item {
  id: number;
  x: number;
  y: number;
}
interface State {
  tick: number;
  hz: number;
  rng: number;
  nextItem: number;
  players: Player[];
  items: Item[];
}
interface Input {
  player: string;
  lock: string;
  name: string;
  seq: number;
  dx: number;
  dy: number;
}
interface GameEvent {
  type: string;
  player: string;
  reason?: string;
  item?: number;
}
interface Logic {
  WIDTH: number;
  HEIGHT: number;
  PLAYER_RADIUS: number;
  ITEM_RADIUS: number;
  BURST: number;
  QUEUE_LIMIT: number;
  MAX_PLAYERS: number;
  IDLE_SECONDS: number;
  createArena(options?: { seed?: number; items?: number; hz?: number }): State;
  stepLength(hz: number): number;
  move(x: number, y: number, dx: number, dy: number, hz: number): { x: number; y: number };
  parseInput(value: unknown): { ok: true; input: Input & { secret: string } } | { ok: false; reason: string };
  step(state: State, inputs: Input[]): { state: State; events: GameEvent[] };
  toSnapshot(state: State): Omit<State, 'players'> & { players: Omit<Player, 'budget' | 'queue'>[] };
  fromSnapshot(snapshot: ReturnType<Logic['toSnapshot']>): State;
}

const logic = (await import(new URL('../../../examples/game/logic.js', import.meta.url).href)) as Logic;
const { createArena, step, move, stepLength, parseInput, toSnapshot, fromSnapshot } = logic;

const HZ = 20;
const STEP = stepLength(HZ);

function input(player: string, seq: number, dx = 0, dy = 0, lock = `lock-${player}`): Input {
  return { player, lock, name: player, seq, dx, dy };
}

/** Runs one tick per entry of `batches` and returns the last state and every event. */
function run(state: State, batches: Input[][]): { state: State; events: GameEvent[] } {
  const events: GameEvent[] = [];
  for (const batch of batches) {
    const result = step(state, batch);
    state = result.state;
    events.push(...result.events);
  }
  return { state, events };
}

/** An arena with one player at (x, y) and the given items, as a snapshot would describe it. */
function arenaWith(x: number, y: number, items: Item[]): State {
  const base = createArena({ seed: 7, items: 1, hz: HZ });
  return fromSnapshot({
    ...toSnapshot(base),
    nextItem: 100,
    items,
    players: [{ id: 'alice', name: 'alice', lock: 'lock-alice', x, y, score: 0, ack: 0, seen: 0 }],
  });
}

describe('examples/game logic', () => {
  test('an arena is made from its seed: the same seed, the same items; another seed, others', () => {
    const a = createArena({ seed: 42, items: 6 });
    assert.deepEqual(createArena({ seed: 42, items: 6 }), a);
    assert.notDeepEqual(createArena({ seed: 43, items: 6 }).items, a.items);
    assert.equal(a.items.length, 6);
    for (const item of a.items) {
      assert.ok(item.x >= logic.ITEM_RADIUS && item.x <= logic.WIDTH - logic.ITEM_RADIUS, `x ${item.x}`);
      assert.ok(item.y >= logic.ITEM_RADIUS && item.y <= logic.HEIGHT - logic.ITEM_RADIUS, `y ${item.y}`);
    }
    assert.throws(() => createArena({ items: 0 }), RangeError);
    assert.throws(() => createArena({ hz: 0 }), RangeError);
  });

  test('step never changes the state it is given, and replays to the same result', () => {
    const start = createArena({ seed: 9, items: 8 });
    const batches: Input[][] = [];
    for (let tick = 0; tick < 200; tick++) {
      batches.push([
        input('alice', 10 + tick, tick % 3 === 0 ? 1 : -1, tick % 5 === 0 ? 0 : 1),
        input('bob', 500 + tick, 1, tick % 7 === 0 ? -1 : 0),
      ]);
    }
    const frozen = structuredClone(start);
    const first = run(start, batches);
    assert.deepEqual(start, frozen, 'the input state is untouched');
    const second = run(structuredClone(frozen), batches);
    assert.deepEqual(second, first);
    assert.equal(first.state.tick, 200);
  });

  test('a first input joins the player inside the arena; the next ones move it one step per tick', () => {
    let { state, events } = step(createArena({ seed: 3 }), [input('alice', 5)]);
    assert.deepEqual(events, [{ type: 'join', player: 'alice' }]);
    const [alice] = state.players;
    assert.equal(alice!.ack, 5);
    assert.equal(alice!.score, 0);
    assert.ok(alice!.x >= logic.PLAYER_RADIUS && alice!.x <= logic.WIDTH - logic.PLAYER_RADIUS);
    // Move right, away from the right wall if needed: start from a known spot.
    state = arenaWith(200, 200, [{ id: 1, x: 900, y: 500 }]);
    ({ state } = step(state, [input('alice', 1, 1, 0)]));
    assert.deepEqual([state.players[0]!.x, state.players[0]!.y, state.players[0]!.ack], [200 + STEP, 200, 1]);
    ({ state } = step(state, [input('alice', 2, 1, 1)]));
    const diagonal = Math.round(STEP / Math.SQRT2);
    assert.deepEqual([state.players[0]!.x, state.players[0]!.y], [200 + STEP + diagonal, 200 + diagonal]);
  });

  test('sending faster does not move faster: a burst of inputs is spread over the ticks', () => {
    let state = arenaWith(100, 270, [{ id: 1, x: 900, y: 40 }]);
    // 30 inputs arrive at once (a page sending too fast, or a backlog): queue keeps QUEUE_LIMIT.
    const burst = Array.from({ length: 30 }, (_, i) => input('alice', i + 1, 1, 0));
    ({ state } = step(state, burst));
    assert.equal(state.players[0]!.x, 100 + logic.BURST * STEP, 'at most BURST steps in one tick');
    const ticksLeft = logic.QUEUE_LIMIT - logic.BURST;
    ({ state } = run(
      state,
      Array.from({ length: ticksLeft + 5 }, () => []),
    ));
    // Only the newest QUEUE_LIMIT inputs were kept; then the queue runs dry and the player stops.
    assert.equal(state.players[0]!.x, 100 + logic.QUEUE_LIMIT * STEP);
    assert.equal(state.players[0]!.ack, 30);
    // A steady page: one input per tick, one step per tick.
    const before = state.players[0]!.x;
    ({ state } = run(
      state,
      Array.from({ length: 10 }, (_, i) => [input('alice', 31 + i, 1, 0)]),
    ));
    assert.equal(state.players[0]!.x, before + 10 * STEP);
  });

  test('a page replaying its unapplied inputs on a snapshot lands where the authority will', () => {
    let state = arenaWith(300, 300, [{ id: 1, x: 900, y: 500 }]);
    const sent: { seq: number; dx: number; dy: number }[] = [];
    const directions = [
      [1, 0],
      [1, 1],
      [0, 1],
      [-1, 1],
      [-1, 0],
      [0, -1],
    ] as const;
    for (let seq = 1; seq <= 12; seq++) {
      const [dx, dy] = directions[seq % directions.length]!;
      sent.push({ seq, dx, dy });
    }
    // The authority gets them late and in bursts: ticks 1-2 see nothing, then 5, then the rest.
    ({ state } = run(state, [[], [], sent.slice(0, 5).map((i) => input('alice', i.seq, i.dx, i.dy))]));
    const snapshot = toSnapshot(state);
    const me = snapshot.players[0]!;
    let predicted = { x: me.x, y: me.y };
    for (const pending of sent.filter((i) => i.seq > me.ack)) {
      predicted = move(predicted.x, predicted.y, pending.dx, pending.dy, HZ);
    }
    const later = [sent.slice(5).map((i) => input('alice', i.seq, i.dx, i.dy))];
    ({ state } = run(state, [...later, ...Array.from({ length: 10 }, () => [])]));
    assert.equal(state.players[0]!.ack, 12);
    assert.deepEqual({ x: state.players[0]!.x, y: state.players[0]!.y }, predicted);
  });

  test('duplicates and inputs older than the last one are ignored', () => {
    let state = arenaWith(300, 300, [{ id: 1, x: 900, y: 500 }]);
    ({ state } = step(state, [input('alice', 5, 1, 0), input('alice', 5, 1, 0), input('alice', 3, 1, 0)]));
    assert.equal(state.players[0]!.x, 300 + STEP);
    ({ state } = step(state, [input('alice', 4, 1, 0), input('alice', 5, 1, 0)]));
    assert.equal(state.players[0]!.x, 300 + STEP);
    assert.equal(state.players[0]!.ack, 5);
  });

  test("nobody steers someone else's player: an input with another lock is refused", () => {
    const { state, events } = step(arenaWith(300, 300, [{ id: 1, x: 900, y: 500 }]), [
      input('alice', 9, 1, 0, 'someone else'),
    ]);
    assert.deepEqual(events, [{ type: 'refused', player: 'alice', reason: 'wrong secret' }]);
    assert.deepEqual([state.players[0]!.x, state.players[0]!.ack], [300, 0]);
  });

  test('touching a coin scores one and the coin comes back elsewhere, with a new id', () => {
    const coin = { id: 7, x: 300 + STEP + 5, y: 300 };
    const far = { id: 8, x: 900, y: 500 };
    const { state, events } = step(arenaWith(300, 300, [coin, far]), [input('alice', 1, 1, 0)]);
    assert.deepEqual(events, [{ type: 'pickup', player: 'alice', item: 7 }]);
    assert.equal(state.players[0]!.score, 1);
    assert.equal(state.items.length, 2);
    assert.deepEqual(state.items[1], far);
    const respawned = state.items[0]!;
    assert.equal(respawned.id, 100);
    assert.notDeepEqual([respawned.x, respawned.y], [coin.x, coin.y]);
    assert.equal(state.nextItem, 101);
  });

  test('walls stop a player', () => {
    let state = arenaWith(logic.PLAYER_RADIUS + 1, logic.HEIGHT - logic.PLAYER_RADIUS - 1, [
      { id: 1, x: 900, y: 40 },
    ]);
    ({ state } = run(state, [[input('alice', 1, -1, 1)], [input('alice', 2, -1, 1)]]));
    assert.deepEqual(
      [state.players[0]!.x, state.players[0]!.y],
      [logic.PLAYER_RADIUS, logic.HEIGHT - logic.PLAYER_RADIUS],
    );
  });

  test('a player with no input for IDLE_SECONDS leaves; a keep-alive input keeps it', () => {
    let state = arenaWith(300, 300, [{ id: 1, x: 900, y: 500 }]);
    ({ state } = step(state, [input('alice', 1), input('bob', 1)]));
    const idleTicks = logic.IDLE_SECONDS * HZ;
    let events: GameEvent[] = [];
    for (let tick = 1; tick <= idleTicks; tick++) {
      const batch = tick % HZ === 0 ? [input('alice', 1 + tick)] : []; // alice: one a second
      ({ state, events } = step(state, batch));
      assert.deepEqual(events, [], `tick ${tick}`);
    }
    ({ state, events } = step(state, []));
    assert.deepEqual(events, [{ type: 'leave', player: 'bob' }]);
    assert.deepEqual(
      state.players.map((player) => player.id),
      ['alice'],
    );
  });

  test(`the arena is full at MAX_PLAYERS`, () => {
    const joins = Array.from({ length: logic.MAX_PLAYERS + 1 }, (_, i) => input(`player${i}`, 1));
    const { state, events } = step(createArena(), joins);
    assert.equal(state.players.length, logic.MAX_PLAYERS);
    assert.deepEqual(events.at(-1), {
      type: 'refused',
      player: `player${logic.MAX_PLAYERS}`,
      reason: 'arena full',
    });
  });

  test('a state rebuilt from its snapshot plays on exactly like the original', () => {
    let state = createArena({ seed: 5, items: 10 });
    const batch = (tick: number) => [
      input('alice', tick, tick % 2 ? 1 : 0, 1),
      input('bob', tick, -1, tick % 3 ? 0 : -1),
    ];
    ({ state } = run(
      state,
      Array.from({ length: 50 }, (_, i) => batch(i + 1)),
    ));
    const rebuilt = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(state))));
    const more = Array.from({ length: 300 }, (_, i) => batch(i + 51));
    assert.deepEqual(toSnapshot(run(rebuilt, more).state), toSnapshot(run(state, more).state));
  });

  test('parseInput takes well-formed inputs only and says why not', () => {
    const good = { p: 'abcd1234', k: '0123456789abcdef', n: 'Ann <b>', s: 12, x: 1, y: -1 };
    assert.deepEqual(parseInput(good), {
      ok: true,
      input: { player: 'abcd1234', secret: '0123456789abcdef', name: 'Ann b', seq: 12, dx: 1, dy: -1 },
    });
    assert.equal((parseInput({ ...good, n: 'x'.repeat(40) }) as { input: Input }).input.name.length, 16);
    const bad: [unknown, string][] = [
      [null, 'not an object'],
      [[1], 'not an object'],
      [{ ...good, p: 'no spaces' }, 'bad player id'],
      [{ ...good, k: 'short' }, 'bad secret'],
      [{ ...good, n: 5 }, 'bad name'],
      [{ ...good, s: -1 }, 'bad sequence number'],
      [{ ...good, s: 1.5 }, 'bad sequence number'],
      [{ ...good, x: 2 }, 'bad direction'],
      [{ ...good, y: '1' }, 'bad direction'],
    ];
    for (const [value, reason] of bad) assert.deepEqual(parseInput(value), { ok: false, reason });
  });
});
