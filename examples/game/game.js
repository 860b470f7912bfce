// The page: keyboard in, canvas out. Inputs go to the arena's input topic at the tick rate while a
// key is held (and once a second otherwise, to stay in the game); snapshots come from the arena's
// state topic. Other players are drawn a little in the past, interpolated between two snapshots;
// the own player is predicted: the last snapshot's position plus the inputs it has not applied yet.
import { HubClient } from '/client/index.js';
import { showConnectionStatus } from '/shared/connection-status.js';
import { hubUrl } from '/shared/hub-url.js';
import { HEIGHT, ITEM_RADIUS, move, PLAYER_RADIUS, WIDTH } from './logic.js';

const arena = new URLSearchParams(location.search).get('arena') || 'main';
const identity = loadIdentity();
/** Draw others this many ticks behind the newest snapshot: room for one late snapshot. */
const INTERPOLATION_TICKS = 2;
const KEEPALIVE_MS = 1000;

const canvas = document.querySelector('canvas');
const context = canvas.getContext('2d');
const nameField = document.querySelector('#name');
const dom = {
  state: document.querySelector('#state'),
  process: document.querySelector('#process'),
  authority: document.querySelector('#authority'),
  tick: document.querySelector('#tick'),
  latency: document.querySelector('#latency'),
  scores: document.querySelector('#scores'),
};
nameField.value = localStorage.getItem('game.name') || `player-${identity.id.slice(0, 4)}`;
nameField.addEventListener('change', () => localStorage.setItem('game.name', nameField.value));

// ---------------------------------------------------------------- keyboard

const held = new Set();
const KEYS = {
  ArrowUp: 'up',
  KeyW: 'up',
  ArrowDown: 'down',
  KeyS: 'down',
  ArrowLeft: 'left',
  KeyA: 'left',
  ArrowRight: 'right',
  KeyD: 'right',
};
addEventListener('keydown', (event) => {
  const key = KEYS[event.code];
  if (!key || event.target instanceof HTMLInputElement) return;
  event.preventDefault(); // no page scrolling with the arrows
  held.add(key);
});
addEventListener('keyup', (event) => held.delete(KEYS[event.code]));
addEventListener('blur', () => held.clear());

function direction() {
  return {
    dx: (held.has('right') ? 1 : 0) - (held.has('left') ? 1 : 0),
    dy: (held.has('down') ? 1 : 0) - (held.has('up') ? 1 : 0),
  };
}

// ---------------------------------------------------------------- the connection

// No offline queue: an input that could not be sent now is worthless later.
const client = new HubClient(hubUrl(), {
  queue: { size: 0 },
  reconnect: { initialDelay: 300, maxDelay: 3000 },
});
const states = client.subscribe(`game.${arena}.state`);
const inputTopic = `game.${arena}.input`;

showConnectionStatus(client, dom.state);
client.on('connected', () => {
  // Which process this page talks to (after a restart it may be another one).
  fetch('/game/status')
    .then((response) => response.json())
    .then((status) => (dom.process.textContent = status.process))
    .catch(() => {});
  sendInput(0, 0); // join (or stay) at once
});
states.on('error', (error) => (dom.state.textContent = `refused: ${error.message}`));

// ---------------------------------------------------------------- inputs and prediction

let seq = Date.now(); // above anything this player sent before a reload
let hz = 20;
let lastSentAt = 0;
let inputTimer;
/** Inputs sent and not yet applied by the authority, oldest first. */
let pending = [];
const sentAt = new Map();
let latency;

function sendInput(dx, dy) {
  if (client.state !== 'connected') return;
  seq += 1;
  const input = { p: identity.id, k: identity.secret, n: nameField.value, s: seq, x: dx, y: dy };
  client.publish(inputTopic, input).catch(() => {}); // lost inputs are corrected by the next snapshot
  pending.push({ seq, dx, dy });
  if (pending.length > 2 * hz) pending.shift();
  sentAt.set(seq, performance.now());
  lastSentAt = performance.now();
}

function sampleInput() {
  const { dx, dy } = direction();
  if (dx !== 0 || dy !== 0 || performance.now() - lastSentAt >= KEEPALIVE_MS) sendInput(dx, dy);
}

function startInputs(rate) {
  if (inputTimer && rate === hz) return;
  hz = rate;
  clearInterval(inputTimer);
  inputTimer = setInterval(sampleInput, 1000 / hz);
}

// ---------------------------------------------------------------- snapshots

/** Recent snapshots with their arrival time, oldest first. */
let buffer = [];
let epoch;
let term = 0;
let snapshots = 0;
/** Local time minus server tick time, the smallest seen recently: the timeline others are drawn on. */
let offsets = [];

states.on('message', ({ data: snapshot, epoch: topicEpoch }) => {
  if (topicEpoch !== epoch) {
    // The topic's state was lost (a restart with no Redis): terms start over.
    epoch = topicEpoch;
    term = 0;
  }
  // A snapshot from an authority that has since lost its lease (it was paused): ignore it.
  if (snapshot.term < term) return;
  const newest = buffer.at(-1)?.snapshot;
  if (snapshot.term > term || (newest && snapshot.tick <= newest.tick)) {
    buffer = [];
    offsets = [];
  }
  term = snapshot.term;
  snapshots++;
  startInputs(snapshot.hz);
  const arrival = performance.now();
  buffer.push({ arrival, snapshot });
  if (buffer.length > 30) buffer.shift();
  offsets.push(arrival - (snapshot.tick * 1000) / snapshot.hz);
  if (offsets.length > 20) offsets.shift();

  const me = snapshot.players.find((player) => player.id === identity.id);
  if (me) {
    pending = pending.filter((input) => input.seq > me.ack);
    const sent = sentAt.get(me.ack);
    if (sent !== undefined)
      latency = latency === undefined ? arrival - sent : latency * 0.8 + (arrival - sent) * 0.2;
    for (const key of sentAt.keys()) if (key <= me.ack) sentAt.delete(key);
  }
  dom.authority.textContent = `${snapshot.authority} (term ${snapshot.term})`;
  dom.tick.textContent = String(snapshot.tick);
  dom.latency.textContent = latency === undefined ? '–' : `${Math.round(latency)} ms`;
  showScores(snapshot.players);
});

function showScores(players) {
  const rows = players
    .slice()
    .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name))
    .map((player) => {
      const row = document.createElement('li');
      row.style.setProperty('--color', colorOf(player.id));
      if (player.id === identity.id) row.className = 'me';
      const name = document.createElement('span');
      name.textContent = player.name;
      const score = document.createElement('b');
      score.textContent = String(player.score);
      row.append(name, score);
      return row;
    });
  dom.scores.replaceChildren(...rows);
}

/** Others' positions at `renderTick`, between the two snapshots around it. */
function interpolated(renderTick) {
  let older = buffer[0].snapshot;
  let newer = older;
  for (const { snapshot } of buffer) {
    newer = snapshot;
    if (snapshot.tick >= renderTick) break;
    older = snapshot;
  }
  const span = newer.tick - older.tick;
  const share = span > 0 ? Math.min(1, Math.max(0, (renderTick - older.tick) / span)) : 1;
  const before = new Map(older.players.map((player) => [player.id, player]));
  return {
    items: newer.items,
    players: newer.players.map((player) => {
      const from = before.get(player.id) ?? player;
      return { ...player, x: from.x + (player.x - from.x) * share, y: from.y + (player.y - from.y) * share };
    }),
  };
}

/** Where the own player is once the authority has applied every pending input. */
function predicted(snapshot) {
  const me = snapshot.players.find((player) => player.id === identity.id);
  if (!me) return undefined;
  let position = { x: me.x, y: me.y };
  for (const input of pending) position = move(position.x, position.y, input.dx, input.dy, snapshot.hz);
  return position;
}

// ---------------------------------------------------------------- drawing

let shown; // the own player's drawn position: eased toward the prediction, so corrections glide
let lastFrame = performance.now();

function frame(now) {
  const elapsed = now - lastFrame;
  lastFrame = now;
  const scale = devicePixelRatio || 1;
  if (canvas.width !== WIDTH * scale) {
    canvas.width = WIDTH * scale;
    canvas.height = HEIGHT * scale;
  }
  context.setTransform(scale, 0, 0, scale, 0, 0);
  drawFloor();
  if (buffer.length > 0) {
    const newest = buffer.at(-1).snapshot;
    const renderTick = ((now - Math.min(...offsets)) * newest.hz) / 1000 - INTERPOLATION_TICKS;
    const view = interpolated(renderTick);
    for (const item of view.items) drawItem(item);
    for (const player of view.players) if (player.id !== identity.id) drawPlayer(player, false);
    const target = predicted(newest);
    if (target) {
      const ease = 1 - Math.exp(-elapsed / 35);
      shown = shown
        ? { x: shown.x + (target.x - shown.x) * ease, y: shown.y + (target.y - shown.y) * ease }
        : target;
      const me = newest.players.find((player) => player.id === identity.id);
      drawPlayer({ ...me, ...shown }, true);
    }
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

function drawFloor() {
  context.fillStyle = '#10151f';
  context.fillRect(0, 0, WIDTH, HEIGHT);
  context.strokeStyle = '#ffffff10';
  context.lineWidth = 1;
  context.beginPath();
  for (let x = 40; x < WIDTH; x += 40) {
    context.moveTo(x + 0.5, 0);
    context.lineTo(x + 0.5, HEIGHT);
  }
  for (let y = 40; y < HEIGHT; y += 40) {
    context.moveTo(0, y + 0.5);
    context.lineTo(WIDTH, y + 0.5);
  }
  context.stroke();
}

function drawItem(item) {
  context.fillStyle = '#f5c542';
  context.beginPath();
  context.arc(item.x, item.y, ITEM_RADIUS, 0, Math.PI * 2);
  context.fill();
  context.strokeStyle = '#a97c12';
  context.lineWidth = 2;
  context.stroke();
}

function drawPlayer(player, mine) {
  context.fillStyle = colorOf(player.id);
  context.beginPath();
  context.arc(player.x, player.y, PLAYER_RADIUS, 0, Math.PI * 2);
  context.fill();
  if (mine) {
    context.strokeStyle = '#ffffff';
    context.lineWidth = 3;
    context.stroke();
  }
  context.fillStyle = '#e8ecf4';
  context.font = '13px system-ui, sans-serif';
  context.textAlign = 'center';
  context.fillText(`${player.name} · ${player.score}`, player.x, player.y - PLAYER_RADIUS - 6);
}

function colorOf(id) {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 70% 58%)`;
}

// ---------------------------------------------------------------- identity

/** Per tab: a public id and a secret (only its digest is ever shown to others). */
function loadIdentity() {
  const saved = sessionStorage.getItem('game.identity');
  if (saved) return JSON.parse(saved);
  const random = (bytes) =>
    Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join(
      '',
    );
  const created = { id: random(6), secret: random(16) };
  sessionStorage.setItem('game.identity', JSON.stringify(created));
  return created;
}

// What the tests (and a curious person in the console) read: the page's own view of the game.
window.game = {
  identity: identity.id,
  view() {
    const newest = buffer.at(-1)?.snapshot;
    return {
      connection: client.state,
      snapshots,
      term,
      tick: newest?.tick ?? null,
      authority: newest?.authority ?? null,
      me: newest?.players.find((player) => player.id === identity.id) ?? null,
      shown: shown ?? null,
      players: newest?.players.map(({ id, name, x, y, score }) => ({ id, name, x, y, score })) ?? [],
      items: newest?.items ?? [],
    };
  },
};

client.connect();
