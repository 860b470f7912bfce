// The arena's rules, with no I/O: no sockets, no clock, no Math.random. The same module runs on the
// authority (the server process that ticks the arena) and in the page (to predict its own player).
//
// `step(state, inputs)` returns the next state and what happened; given the same state and inputs it
// returns the same result on any machine (integer positions, a seeded generator kept in the state).
// It never changes the state it is given.
//
// Input model: a player sends one input per tick it wants to move (a direction, -1/0/1 on each
// axis) with a sequence number. The authority queues a player's inputs and applies at most one per
// tick, plus a small burst budget (BURST) to catch up after network jitter, so sending faster does
// not move faster. Each snapshot says, per player, the last input applied (`ack`): a page replays
// its inputs after `ack` on top of the snapshot's position and lands exactly where the authority
// will (client-side prediction with reconciliation).

export const WIDTH = 960;
export const HEIGHT = 540;
export const PLAYER_RADIUS = 16;
export const ITEM_RADIUS = 10;
/** Units per second a player moves. */
export const SPEED = 240;
/** Inputs a player may have applied in one tick after a pause (catching up jitter, not a speed-up). */
export const BURST = 3;
/** Inputs kept waiting per player; older ones are dropped beyond it. */
export const QUEUE_LIMIT = 10;
export const MAX_PLAYERS = 32;
export const MAX_NAME = 16;
/** A player with no input for this many seconds leaves the arena. */
export const IDLE_SECONDS = 10;

const ID_PATTERN = /^[A-Za-z0-9_-]{4,32}$/;

/**
 * A new arena.
 * @param {{ seed?: number, items?: number, hz?: number }} [options]
 */
export function createArena({ seed = 1, items = 6, hz = 20 } = {}) {
  if (!Number.isInteger(items) || items < 1 || items > 10_000) throw new RangeError(`bad items ${items}`);
  if (!Number.isInteger(hz) || hz < 1 || hz > 60) throw new RangeError(`bad hz ${hz}`);
  let state = { tick: 0, hz, rng: seed >>> 0 || 1, nextItem: 1, players: [], items: [] };
  for (let i = 0; i < items; i++) state = spawnItem(state);
  return state;
}

/** Units moved by one input at `hz` ticks per second (straight; a diagonal moves ~1/sqrt 2 per axis). */
export function stepLength(hz) {
  return Math.round(SPEED / hz);
}

/**
 * Where a player at (x, y) ends up after one input (dx, dy) at `hz`. Used by the authority and by
 * the page's prediction: the same function, so they agree to the unit.
 */
export function move(x, y, dx, dy, hz) {
  const length = stepLength(hz);
  const each = dx !== 0 && dy !== 0 ? Math.round(length / Math.SQRT2) : length;
  return {
    x: clamp(x + dx * each, PLAYER_RADIUS, WIDTH - PLAYER_RADIUS),
    y: clamp(y + dy * each, PLAYER_RADIUS, HEIGHT - PLAYER_RADIUS),
  };
}

/**
 * Checks one input as a page sent it (already JSON-decoded): `{ p, k, n, s, x, y }` = player id,
 * secret, name, sequence number, direction. Returns the input or a reason it was refused.
 * @returns {{ ok: true, input: { player: string, secret: string, name: string, seq: number, dx: number, dy: number } } | { ok: false, reason: string }}
 */
export function parseInput(value) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse('not an object');
  const { p, k, n, s, x, y } = value;
  if (typeof p !== 'string' || !ID_PATTERN.test(p)) return refuse('bad player id');
  if (typeof k !== 'string' || k.length < 16 || k.length > 64) return refuse('bad secret');
  if (typeof n !== 'string') return refuse('bad name');
  if (!Number.isSafeInteger(s) || s < 0) return refuse('bad sequence number');
  if (!isAxis(x) || !isAxis(y)) return refuse('bad direction');
  return { ok: true, input: { player: p, secret: k, name: cleanName(n), seq: s, dx: x, dy: y } };
}

/**
 * One tick. `inputs` are the inputs that arrived since the last tick, in arrival order, each with
 * `lock` (a digest of its secret, computed by the caller) in place of the secret. A player is
 * created by its first input and keeps its `lock`: inputs for that player with another lock are
 * refused, so nobody can steer someone else's player.
 * @returns {{ state: object, events: Array<{ type: string, player: string, [key: string]: unknown }> }}
 */
export function step(state, inputs) {
  const tick = state.tick + 1;
  const events = [];
  const players = state.players.map((player) => ({ ...player, queue: player.queue.slice() }));
  const byId = new Map(players.map((player) => [player.id, player]));
  let next = { ...state, tick, players, items: state.items };

  for (const input of inputs) {
    let player = byId.get(input.player);
    if (!player) {
      if (players.length >= MAX_PLAYERS) {
        events.push({ type: 'refused', player: input.player, reason: 'arena full' });
        continue;
      }
      const spot = randomSpot(next, PLAYER_RADIUS);
      next = spot.state;
      player = {
        id: input.player,
        name: input.name || 'player',
        lock: input.lock,
        x: spot.x,
        y: spot.y,
        score: 0,
        ack: input.seq - 1,
        budget: BURST,
        seen: tick,
        queue: [],
      };
      players.push(player);
      byId.set(player.id, player);
      events.push({ type: 'join', player: player.id });
    } else if (player.lock !== input.lock) {
      events.push({ type: 'refused', player: input.player, reason: 'wrong secret' });
      continue;
    }
    const last = player.queue.length > 0 ? player.queue[player.queue.length - 1].seq : player.ack;
    if (input.seq <= last) continue; // a duplicate or out of order: already applied or queued
    player.queue.push({ seq: input.seq, dx: input.dx, dy: input.dy });
    if (player.queue.length > QUEUE_LIMIT) player.queue.shift();
    player.seen = tick;
    if (input.name) player.name = input.name;
  }

  for (const player of players) {
    player.budget = Math.min(BURST, player.budget + 1);
    while (player.budget >= 1 && player.queue.length > 0) {
      const { seq, dx, dy } = player.queue.shift();
      ({ x: player.x, y: player.y } = move(player.x, player.y, dx, dy, state.hz));
      player.ack = seq;
      player.budget -= 1;
    }
  }

  const reach = (PLAYER_RADIUS + ITEM_RADIUS) ** 2;
  for (const player of players) {
    for (let i = 0; i < next.items.length; i++) {
      const item = next.items[i];
      if ((item.x - player.x) ** 2 + (item.y - player.y) ** 2 > reach) continue;
      player.score += 1;
      events.push({ type: 'pickup', player: player.id, item: item.id });
      next = spawnItem(next, i); // the collected item is replaced at a new spot, with a new id
    }
  }

  const idleTicks = IDLE_SECONDS * state.hz;
  const staying = players.filter((player) => tick - player.seen <= idleTicks);
  if (staying.length !== players.length) {
    for (const player of players) {
      if (!staying.includes(player)) events.push({ type: 'leave', player: player.id });
    }
    next = { ...next, players: staying };
  }
  return { state: next, events };
}

/**
 * What goes out to every page, and what a new authority rebuilds the arena from: the whole state
 * except the input queues (inputs in flight when the authority changes are lost; the pages resync).
 */
export function toSnapshot(state) {
  return {
    tick: state.tick,
    hz: state.hz,
    rng: state.rng,
    nextItem: state.nextItem,
    players: state.players.map(({ id, name, lock, x, y, score, ack, seen }) => ({
      id,
      name,
      lock,
      x,
      y,
      score,
      ack,
      seen,
    })),
    items: state.items.map(({ id, x, y }) => ({ id, x, y })),
  };
}

/** The state a snapshot describes (see toSnapshot), with empty input queues and a full burst budget. */
export function fromSnapshot(snapshot) {
  return {
    tick: snapshot.tick,
    hz: snapshot.hz,
    rng: snapshot.rng,
    nextItem: snapshot.nextItem,
    players: snapshot.players.map((player) => ({ ...player, budget: BURST, queue: [] })),
    items: snapshot.items.map(({ id, x, y }) => ({ id, x, y })),
  };
}

// ---------------------------------------------------------------- helpers

function refuse(reason) {
  return { ok: false, reason };
}

function isAxis(value) {
  return value === -1 || value === 0 || value === 1;
}

function cleanName(name) {
  // Letters, digits, spaces and a few marks; the page shows it as text anyway.
  return name
    .replace(/[^\p{L}\p{N} _.-]/gu, '')
    .trim()
    .slice(0, MAX_NAME);
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

/** mulberry32: a small, well-mixed 32-bit generator; the state is one integer kept in the arena. */
function random(rng) {
  const next = (rng + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { rng: next, value: ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296 };
}

function randomSpot(state, margin) {
  const a = random(state.rng);
  const b = random(a.rng);
  return {
    state: { ...state, rng: b.rng },
    x: margin + Math.floor(a.value * (WIDTH - 2 * margin)),
    y: margin + Math.floor(b.value * (HEIGHT - 2 * margin)),
  };
}

/** Adds an item at a random spot, or replaces the item at `index` with it. */
function spawnItem(state, index = state.items.length) {
  const spot = randomSpot(state, ITEM_RADIUS * 2);
  const items = state.items.slice();
  items[index] = { id: state.nextItem, x: spot.x, y: spot.y };
  return { ...spot.state, nextItem: state.nextItem + 1, items };
}
