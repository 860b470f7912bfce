// A ticker dashboard on the hub: hundreds of symbols, prices moving many times a second, every
// browser watching all of them. Server code publishes; pages only subscribe.
//
//   node examples/dashboard/server.mjs [--port 8082] [--symbols 300] [--groups 10] [--interval 100]
//        [--activity 0.3] [--redis redis://127.0.0.1:6379] [--lease-ttl 3000]
//
// Topics: ticker.gN           one price `{ s, p, o, t }` per message, key = the symbol, no history,
//                             latest-by-key: a page that falls behind gets the newest price per symbol
//         ticker.gN.snapshot  the whole group every second `{ group, by, term, t, quotes }`, history 1
// Each group is fed by exactly one process, the holder of its lease (../shared/lease.mjs).
// GET /ticker/config: { groups, symbols }. GET /ticker/stats: this process's feeds and connections.
import { runApp } from '../shared/app-server.mjs';
import { connectRedis, LocalLease, RedisLease } from '../shared/lease.mjs';
import { GroupFeed } from './feed.mjs';
import { makeMarket } from './market.mjs';

const TOPIC = /^ticker\.g(\d+)(\.snapshot)?$/;

function intFlag(args, name, low, high) {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new Error(`--${name} takes an integer from ${low} to ${high}, not ${args[name]}`);
  }
  return value;
}

function json(response, value) {
  response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(value));
}

await runApp({
  name: 'dashboard',
  directory: new URL('.', import.meta.url),
  defaultPort: 8082,
  flags: {
    symbols: { type: 'string', default: '300' },
    groups: { type: 'string', default: '10' },
    interval: { type: 'string', default: '100' }, // ms between ticks
    activity: { type: 'string', default: '0.3' }, // the share of symbols that trade in a tick
    'lease-ttl': { type: 'string', default: '3000' },
    'max-buffered': { type: 'string', default: '65536' }, // bytes queued per page before latest-by-key acts
    backpressure: { type: 'string', default: 'latest-by-key' }, // 'wait' only to compare
  },
  // A page over this bound is falling behind: from then on each new price replaces the queued one of
  // its symbol instead of lining up behind it.
  serverOptions: (args) => ({
    connection: { maxBufferedBytes: intFlag(args, 'max-buffered', 1024, 1 << 26) },
  }),
  hubOptions(args) {
    const groups = intFlag(args, 'groups', 1, 100);
    if (!['latest-by-key', 'wait'].includes(args.backpressure))
      throw new Error('--backpressure latest-by-key|wait');
    const isTickerTopic = (topic) => Number(TOPIC.exec(topic)?.[1] ?? groups) < groups;
    return {
      topicOptions: (topic) =>
        TOPIC.exec(topic)?.[2]
          ? { historySize: 1, backpressure: 'latest-by-key' }
          : { historySize: 0, backpressure: args.backpressure },
      canSubscribe: isTickerTopic,
      canPublish: () => false, // prices come from the feeds only
      limits: { maxTopicsPerConnection: 2 * groups },
    };
  },
  async setup({ hub, args, route, processLabel, server }) {
    const symbolCount = intFlag(args, 'symbols', 1, 5000);
    const groups = intFlag(args, 'groups', 1, 100);
    const intervalMs = intFlag(args, 'interval', 5, 60_000);
    const ttlMs = intFlag(args, 'lease-ttl', 300, 60_000);
    const activity = Number(args.activity);
    if (!(activity > 0 && activity <= 1))
      throw new Error(`--activity takes a share in (0, 1], not ${args.activity}`);
    const redis = args.redis ? await connectRedis(args.redis) : undefined;
    const feeds = makeMarket(symbolCount, groups).map(
      (symbols, group) =>
        new GroupFeed({
          hub,
          group,
          symbols,
          lease: redis
            ? new RedisLease({ redis, name: `fullduplex:ticker:g${group}`, ttlMs })
            : new LocalLease(),
          label: processLabel,
          intervalMs,
          activity,
          leaseEveryMs: Math.round(ttlMs / 3),
          log: (line) => console.error(line),
        }),
    );
    route('GET', '/ticker/config', (_request, response) => json(response, { groups, symbols: symbolCount }));
    route('GET', '/ticker/stats', (_request, response) =>
      json(response, {
        process: processLabel,
        feeds: feeds.map((feed) => feed.status()),
        connections: [...server.connections].map((connection) => ({
          bufferedAmount: connection.bufferedAmount,
          messagesReplaced: connection.stats.messagesReplaced,
          messagesDropped: connection.stats.messagesDropped,
        })),
      }),
    );
    return async () => {
      await Promise.all(feeds.map((feed) => feed.stop()));
      await redis?.close();
    };
  },
});
