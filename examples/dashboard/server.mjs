// A live ticker: ~20 simulated symbols with random-walk prices, pushed to every browser that watches.
// Each update is sent with `backpressure: 'latest-by-key'` and `key: symbol`, so a client that falls
// behind has at most one queued update per symbol (the newest), never a backlog of stale prices.
//
//   node examples/dashboard/server.mjs [--port 8082] [--host 127.0.0.1]
//                                      [--interval 50] [--symbols 20] [--activity 0.1]
//
// GET / is the page, GET /stats the server's counters (JSON), and /live takes WebSocket upgrades.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { broadcast, jsonCodec, prepareMessage, WebSocketServer } from 'fullduplex';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '8082' },
    host: { type: 'string', default: '127.0.0.1' },
    interval: { type: 'string', default: '50' }, // ms between ticks
    symbols: { type: 'string', default: '20' },
    activity: { type: 'string', default: '0.1' }, // the share of symbols that trade in a tick
  },
});
const port = Number(args.port);
const interval = Number(args.interval);
const symbolCount = Number(args.symbols);
const activity = Number(args.activity);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port ${args.port}`);
if (!(interval >= 1)) throw new Error(`bad --interval ${args.interval}`);
if (!Number.isInteger(symbolCount) || symbolCount < 1 || symbolCount > 500) {
  throw new Error(`bad --symbols ${args.symbols}`);
}
if (!(activity > 0 && activity <= 1)) throw new Error(`bad --activity ${args.activity}`);

// ---------------------------------------------------------------- the market

const NAMES = ['ACME', 'BOLT', 'CRUX', 'DYNA', 'EDGE', 'FLUX', 'GRID', 'HALO', 'IONX', 'JOLT'];
NAMES.push('KITE', 'LUMA', 'MAGN', 'NOVA', 'ORBT', 'PIXL', 'QUBE', 'RIFT', 'SOLR', 'TERA');

/** @type {{ symbol: string, open: number, price: number }[]} */
const market = [];
for (let i = 0; i < symbolCount; i++) {
  const symbol = NAMES[i] ?? `SYM${i + 1}`;
  const open = Math.round((20 + Math.random() * 480) * 100) / 100;
  market.push({ symbol, open, price: open });
}
const bySymbol = new Map(market.map((quote) => [quote.symbol, quote]));

/** One update as the client sees it. `seq` is the tick it belongs to (the test uses it). */
function quoteMessage(quote, seq) {
  const change = quote.price - quote.open;
  return {
    type: 'tick',
    symbol: quote.symbol,
    price: Math.round(quote.price * 100) / 100,
    change: Math.round(change * 100) / 100,
    changePercent: Math.round((change / quote.open) * 10_000) / 100,
    seq,
  };
}

// ---------------------------------------------------------------- clients

/** What clients may send: `{ type: 'subscribe', symbols: string[] | '*' }`. */
function isClientMessage(value) {
  if (typeof value !== 'object' || value === null || value.type !== 'subscribe') return false;
  const { symbols } = value;
  if (symbols === '*') return true;
  return (
    Array.isArray(symbols) &&
    symbols.length <= market.length * 2 &&
    symbols.every((s) => typeof s === 'string')
  );
}
const clientMessages = jsonCodec({ validate: isClientMessage });
const serverMessages = jsonCodec();

/** Subscribers per symbol: the fan-out iterates only the connections that want that symbol. */
const subscribers = new Map(market.map((quote) => [quote.symbol, new Set()]));
/** Per connection: its id and its symbols. */
const clients = new Map();
let nextClientId = 1;
/** `replaced`: updates that took the place of an older one still queued for a slow client. */
const counters = { ticks: 0, updates: 0, sent: 0, replaced: 0, rejectedMessages: 0 };

function subscribe(connection, symbols) {
  const client = clients.get(connection);
  for (const symbol of client.symbols) subscribers.get(symbol)?.delete(connection);
  client.symbols = symbols;
  for (const symbol of symbols) subscribers.get(symbol)?.add(connection);
}

function onMessage(connection, message) {
  let request;
  try {
    request = clientMessages.decode(message.data);
  } catch (error) {
    // Bad input is answered, never fatal: the ticker keeps flowing.
    counters.rejectedMessages++;
    if (connection.readyState === 'open')
      connection.sendValue(serverMessages, { type: 'error', error: error.message });
    return;
  }
  if (connection.readyState !== 'open') return;
  const wanted = request.symbols === '*' ? market.map((quote) => quote.symbol) : request.symbols;
  const known = [...new Set(wanted)].filter((symbol) => bySymbol.has(symbol));
  const unknown = wanted.filter((symbol) => !bySymbol.has(symbol));
  subscribe(connection, known);
  connection.sendValue(serverMessages, { type: 'subscribed', symbols: known, unknown });
}

const wss = new WebSocketServer({
  path: '/live',
  maxPayload: 16 * 1024,
  connection: { heartbeat: { pingInterval: 30_000, pongTimeout: 10_000 } },
  onConnection(connection) {
    const id = nextClientId++;
    clients.set(connection, { id, symbols: [] });
    subscribe(
      connection,
      market.map((quote) => quote.symbol),
    );
    // A snapshot first, so the table is full before the first tick.
    connection.sendValue(serverMessages, {
      type: 'hello',
      id,
      interval,
      quotes: market.map((quote) => quoteMessage(quote, counters.ticks)),
    });
    // A bug in a listener closes this connection with 1011 and lands here, instead of ending the process.
    connection.onError((error) => console.error('dashboard connection:', error));
    connection.onMessage((message) => onMessage(connection, message));
    connection.closed.then(() => {
      counters.replaced += connection.stats.messagesReplaced;
      subscribe(connection, []);
      clients.delete(connection);
    });
  },
});

// ---------------------------------------------------------------- the tick

const VOLATILITY = 0.002; // per tick, as a fraction of the price

function tick() {
  const seq = ++counters.ticks;
  for (const quote of market) {
    // Only some symbols trade in a given tick: a livelier page than all or nothing.
    if (Math.random() >= activity) continue;
    const shock = (Math.random() + Math.random() + Math.random() - 1.5) * 2 * VOLATILITY;
    quote.price = Math.max(0.01, quote.price * (1 + shock));
    counters.updates++;
    const members = subscribers.get(quote.symbol);
    if (members.size === 0) continue;
    // Framed once for every subscriber. A subscriber whose queue still holds an update for this
    // symbol gets it replaced in place by this one: at most one pending update per symbol.
    const prepared = prepareMessage(JSON.stringify(quoteMessage(quote, seq)));
    const result = broadcast(members, prepared, { backpressure: 'latest-by-key', key: quote.symbol });
    counters.sent += result.sent;
  }
}

function stats() {
  const connections = [];
  for (const [connection, client] of clients) {
    const { messagesDropped, messagesReplaced, bytesDropped } = connection.stats;
    connections.push({
      id: client.id,
      symbols: client.symbols.length,
      bufferedAmount: connection.bufferedAmount,
      messagesDropped,
      messagesReplaced,
      bytesDropped,
    });
  }
  let replaced = 0;
  for (const connection of clients.keys()) replaced += connection.stats.messagesReplaced;
  return {
    symbols: market.length,
    interval,
    ...counters,
    replaced: counters.replaced + replaced,
    connections,
  };
}

// ---------------------------------------------------------------- http

const page = readFileSync(new URL('./index.html', import.meta.url));
const http = createServer((request, response) => {
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  if (request.method === 'GET' && pathname === '/') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    response.end(page);
  } else if (request.method === 'GET' && pathname === '/stats') {
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify(stats()));
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
const timer = setInterval(tick, interval);

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  clearInterval(timer);
  http.close();
  await wss.close({ code: 1001, reason: 'server shutting down', timeout: 3000 });
  http.closeAllConnections();
}
process.once('SIGINT', () => shutdown('SIGINT'));
process.once('SIGTERM', () => shutdown('SIGTERM'));
