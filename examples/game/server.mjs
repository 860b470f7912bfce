// A small real-time multiplayer game on the hub: players move around an arena and collect coins.
//
//   node examples/game/server.mjs [--port 8085] [--arenas main,second] [--tick-hz 20] [--items 6]
//   node examples/game/server.mjs --port 8085 --redis redis://127.0.0.1:6379   # and again on 8086
//
// Pages publish their inputs on `game.ARENA.input` and subscribe to `game.ARENA.state`. One process
// per arena (the holder of the arena's lease in Redis; with no Redis, this process) runs the tick:
// see authority.mjs. GET /game/status tells which arenas this process is the authority of.
import { runApp } from '../shared/app-server.mjs';
import { connectRedis, LocalLease, RedisLease } from '../shared/lease.mjs';
import { ArenaAuthority, gameTopicOptions, inputTopic, stateTopic } from './authority.mjs';

const ARENA_NAME = /^[a-z0-9-]{1,32}$/;

function arenasOf(args) {
  const arenas = String(args.arenas)
    .split(',')
    .map((name) => name.trim());
  for (const name of arenas)
    if (!ARENA_NAME.test(name)) throw new Error(`bad arena name ${JSON.stringify(name)}`);
  return arenas;
}

function intFlag(args, name, low, high) {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new Error(`--${name} takes an integer from ${low} to ${high}, not ${args[name]}`);
  }
  return value;
}

await runApp({
  name: 'game',
  directory: new URL('.', import.meta.url),
  defaultPort: 8085,
  flags: {
    arenas: { type: 'string', default: 'main' },
    'tick-hz': { type: 'string', default: '20' },
    items: { type: 'string', default: '6' },
    'lease-ttl': { type: 'string', default: '3000' },
  },
  hubOptions(args) {
    const arenas = arenasOf(args);
    const states = new Set(arenas.map(stateTopic));
    const inputs = new Set(arenas.map(inputTopic));
    return {
      topicOptions: gameTopicOptions,
      // Pages read snapshots and send inputs, nothing else: no forged snapshots, no reading inputs.
      canSubscribe: (topic) => states.has(topic),
      canPublish: (topic) => inputs.has(topic),
    };
  },
  async setup({ hub, args, route, processLabel }) {
    const arenas = arenasOf(args);
    const hz = intFlag(args, 'tick-hz', 1, 60);
    const items = intFlag(args, 'items', 1, 10_000);
    const ttlMs = intFlag(args, 'lease-ttl', 300, 60_000);
    const redis = args.redis ? await connectRedis(args.redis) : undefined;
    const authorities = arenas.map(
      (arena) =>
        new ArenaAuthority({
          hub,
          arena,
          lease: redis
            ? new RedisLease({ redis, name: `fullduplex:game:${arena}`, ttlMs })
            : new LocalLease(),
          label: processLabel,
          hz,
          items,
          leaseEveryMs: Math.round(ttlMs / 3),
          log: (line) => console.error(line), // stdout's first line is the address, for scripts
        }),
    );
    route('GET', '/game/status', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ process: processLabel, arenas: authorities.map((a) => a.status()) }));
    });
    return async () => {
      await Promise.all(authorities.map((authority) => authority.stop()));
      await redis?.close();
    };
  },
});
