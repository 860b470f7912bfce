// A chat on the hub: each room is a topic with history and presence, plus an ephemeral topic for
// "is typing". Pages talk to the hub with the hub client; this server only sets the rules. Run two
// processes on one Redis and pages on either see each other.
//
//   node examples/chat/server.mjs [--port 8081] [--history 100] [--redis redis://127.0.0.1:6379]
//
// Topics:  chat.ROOM         { nick, text, time } messages: history (--history), presence
//          chat.ROOM.typing  { nick, typing }: no history, latest-by-key per nick
// A page connects with ?nick=NAME on the hub URL: presence lists it as { nick, process }.
import { runApp } from '../shared/app-server.mjs';

const TOPIC = /^chat\.([A-Za-z0-9_-]{1,40})(\.typing)?$/;
const NICK = /^[\p{L}\p{N}_.-]{1,24}$/u;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The nickname a connection gave on its upgrade URL, if it is a valid one. */
function nickOf(connection) {
  const nick = new URL(connection.request?.url ?? '/', 'http://localhost').searchParams.get('nick');
  return nick !== null && NICK.test(nick) ? nick : undefined;
}

/** Only chat topics, and only for a connection with a nickname. */
const allowed = (topic, connection) => TOPIC.test(topic) && nickOf(connection) !== undefined;

await runApp({
  name: 'chat',
  directory: new URL('.', import.meta.url),
  defaultPort: 8081,
  flags: { history: { type: 'string', default: '100' } },
  hubOptions: (args, { processLabel }) => {
    const historySize = Number(args.history);
    if (!Number.isInteger(historySize) || historySize < 0) throw new Error(`bad --history ${args.history}`);
    return {
      topicOptions: (topic) =>
        TOPIC.exec(topic)?.[2]
          ? // Typing is news only while it happens: nothing kept, and a slow reader gets the latest
            // state per nickname (the publisher's key) instead of a queue of stale ones.
            { historySize: 0, presence: false, backpressure: 'latest-by-key' }
          : { historySize, historyTtlMs: DAY_MS, presence: true },
      canSubscribe: allowed,
      canPublish: allowed,
      presenceInfo: (connection) => ({ nick: nickOf(connection), process: processLabel }),
      limits: { maxTopicsPerConnection: 10, maxMessageBytes: 4096, publishRate: 20, publishBurst: 40 },
    };
  },
});
