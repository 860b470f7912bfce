// A chat server: rooms from the URL path (/room/NAME), nicknames, join and leave notices, and the last
// messages of a room sent to whoever joins it. One http server serves the page and takes the
// WebSocket upgrades on the same port.
//
//   node examples/chat/server.mjs [--port 8081] [--host 127.0.0.1] [--history 50]
//
// Protocol (JSON text messages):
//   client -> server  { type: 'join', nick }            first, once
//                     { type: 'message', text }
//   server -> client  { type: 'welcome', room, nick, members, history }
//                     { type: 'joined' | 'left', nick, members }
//                     { type: 'message', id, nick, text, time }
//                     { type: 'error', error, message }   (the connection stays open)
// Binary messages, or more than MAX_ERRORS bad messages, close the connection with 1008.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { broadcast, jsonCodec, prepareMessage, WebSocketServer } from 'fullduplex';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '8081' },
    host: { type: 'string', default: '127.0.0.1' },
    history: { type: 'string', default: '50' },
  },
});
const port = Number(args.port);
const historySize = Number(args.history);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port ${args.port}`);
if (!Number.isInteger(historySize) || historySize < 0) throw new Error(`bad --history ${args.history}`);

const ROOM_NAME = /^[A-Za-z0-9_-]{1,40}$/;
const NICK = /^[\p{L}\p{N}_.-]{1,24}$/u;
const MAX_TEXT = 2000;
const MAX_ERRORS = 10;
const MAX_ROOMS = 1000;

// ---------------------------------------------------------------- what clients may send

/** The shape only; the values (nickname syntax, length) get errors of their own below. */
function isClientMessage(value) {
  if (typeof value !== 'object' || value === null) return false;
  if (value.type === 'join') return typeof value.nick === 'string';
  if (value.type === 'message') return typeof value.text === 'string';
  return false;
}
const clientMessages = jsonCodec({ validate: isClientMessage });
const serverMessages = jsonCodec();

// ---------------------------------------------------------------- rooms

/**
 * @typedef {{ name: string, members: Map<import('fullduplex').Connection, string>,
 *   history: object[], nextId: number }} Room
 * @type {Map<string, Room>}
 */
const rooms = new Map();

function roomFor(name) {
  let room = rooms.get(name);
  if (!room) {
    // Empty rooms keep their history until there are too many of them.
    if (rooms.size >= MAX_ROOMS) {
      for (const [other, candidate] of rooms) {
        if (candidate.members.size === 0) {
          rooms.delete(other);
          break;
        }
      }
    }
    room = { name, members: new Map(), history: [], nextId: 1 };
    rooms.set(name, room);
  }
  return room;
}

/** The room name of an upgrade request, or undefined when the path is not /room/NAME. */
function roomName(url) {
  const { pathname } = new URL(url ?? '/', 'http://localhost');
  if (!pathname.startsWith('/room/')) return undefined;
  let name;
  try {
    name = decodeURIComponent(pathname.slice('/room/'.length));
  } catch {
    return undefined;
  }
  return ROOM_NAME.test(name) ? name : undefined;
}

/**
 * Every message to a room is framed once (prepareMessage) and the same bytes go to each member.
 * A member whose queue is over maxBufferedBytes (256 KiB here: thousands of chat lines) is not
 * keeping up; 'drop-oldest' evicts the oldest lines still queued for it. A reader that catches up
 * then sees the current conversation rather than a minutes-old one, and the `id` in each message
 * lets the page show that some lines were skipped. ('drop-newest' would instead keep stale lines
 * and lose the new ones; 'wait' would let one stuck member hold memory without bound.)
 */
function toRoom(room, value) {
  const prepared = prepareMessage(serverMessages.encode(value));
  broadcast(room.members.keys(), prepared, { backpressure: 'drop-oldest' });
}

function memberList(room) {
  return [...room.members.values()].sort();
}

// ---------------------------------------------------------------- one connection

function reply(connection, error, message) {
  if (connection.readyState === 'open')
    connection.sendValue(serverMessages, { type: 'error', error, message });
}

function onConnection(connection) {
  const room = roomFor(roomName(connection.request?.url));
  let nick;
  let errors = 0;

  function refuse(error, message) {
    errors++;
    if (errors > MAX_ERRORS) {
      connection.close(1008, 'too many invalid messages');
      return;
    }
    reply(connection, error, message);
  }

  // A bug in a listener closes this connection with 1011 and lands here, instead of ending the process.
  connection.onError((error) => console.error('chat connection:', error));
  connection.onMessage((message) => {
    if (connection.readyState !== 'open') return;
    if (message.type === 'binary') {
      connection.close(1008, 'binary messages are not accepted');
      return;
    }
    let request;
    try {
      request = clientMessages.decode(message.data);
    } catch (error) {
      const invalidJson = error.code === 'ERR_DECODE';
      refuse(invalidJson ? 'invalid-json' : 'invalid-message', error.message);
      return;
    }
    if (request.type === 'join') {
      if (nick !== undefined) return refuse('already-joined', `you are ${nick}`);
      if (!NICK.test(request.nick)) {
        return refuse('invalid-nick', 'a nickname is 1 to 24 letters, digits, _ . or -');
      }
      if ([...room.members.values()].includes(request.nick)) {
        return refuse('nick-taken', `${request.nick} is already in ${room.name}`);
      }
      nick = request.nick;
      room.members.set(connection, nick);
      connection.sendValue(serverMessages, {
        type: 'welcome',
        room: room.name,
        nick,
        members: memberList(room),
        history: room.history,
      });
      toRoom(room, { type: 'joined', nick, members: memberList(room) });
      return;
    }
    // request.type === 'message'
    if (nick === undefined) return refuse('not-joined', 'send { type: "join", nick } first');
    const text = request.text.trim();
    if (text.length === 0) return refuse('empty', 'nothing to send');
    if (text.length > MAX_TEXT) return refuse('too-long', `at most ${MAX_TEXT} characters`);
    const line = { type: 'message', id: room.nextId++, nick, text, time: Date.now() };
    room.history.push(line);
    if (room.history.length > historySize) room.history.shift();
    toRoom(room, line);
  });

  connection.closed.then(() => {
    if (nick === undefined) return;
    room.members.delete(connection);
    toRoom(room, { type: 'left', nick, members: memberList(room) });
  });
}

// ---------------------------------------------------------------- http and websocket

const wss = new WebSocketServer({
  // Upgrades on /room/NAME only; the name is checked in authorize so a bad one gets a clear 400.
  path: (pathname) => pathname.startsWith('/room/'),
  authorize(request) {
    if (roomName(request.url) === undefined) {
      return { status: 400, body: 'a room name is 1 to 40 letters, digits, _ or -' };
    }
  },
  maxPayload: 16 * 1024,
  connection: {
    maxBufferedBytes: 256 * 1024,
    heartbeat: { pingInterval: 20_000, pongTimeout: 10_000 },
  },
  onConnection,
});

const page = readFileSync(new URL('./index.html', import.meta.url));
const http = createServer((request, response) => {
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  // The page is served on / and on every room's URL, so a room link can be shared.
  if (request.method === 'GET' && (pathname === '/' || roomName(pathname) !== undefined)) {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    response.end(page);
  } else {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  }
});
wss.attach(http);

http.listen(port, args.host, () => {
  const address = http.address();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  console.log(`listening http://${host}:${address.port}/`);
});

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  http.close();
  await wss.close({ code: 1001, reason: 'server shutting down', timeout: 3000 });
  http.closeAllConnections();
}
process.once('SIGINT', () => shutdown('SIGINT'));
process.once('SIGTERM', () => shutdown('SIGTERM'));
