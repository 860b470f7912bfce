// Per-user notifications behind authorization, on any number of processes.
//
//   node examples/notifications/server.mjs [--port 8085] [--secret S] [--notify-key K] [--token-ttl 3600]
//   node examples/notifications/server.mjs --workers 2 --redis redis://127.0.0.1:6379
//
// - POST /login {"user":"alice"} answers a signed token (tokens.mjs: user id and expiry, HMAC-SHA256).
//   There is no password here: a real app checks one, or its identity provider does, before signing.
// - The page opens its WebSocket with the token in the query string (`/hub?token=...`): a browser
//   cannot set headers on a WebSocket. A token that is missing, forged or expired is refused as soon as
//   the connection opens, with close code 1008 and the reason: the hub client treats that as final
//   (`unauthorized`) instead of retrying, and the page can show why.
// - canSubscribe lets a connection subscribe only to `user.ID` (and `user.ID.*`) for its token's ID.
// - POST /notify {"user":"alice","text":"..."} with `Authorization: Bearer NOTIFY_KEY` publishes on
//   `user.alice`: every open tab of alice, on every process, gets it; a closed tab gets it from history
//   when it comes back.
// - GET /inbox with `Authorization: Bearer TOKEN`: the user's kept notifications and the position to
//   subscribe from.
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { runApp } from '../shared/app-server.mjs';
import { sameSecret, signToken, TokenError, tokenFromUrl, USER_ID, verifyToken } from './tokens.mjs';

const HISTORY = 100;
const HISTORY_TTL_MS = 7 * 24 * 3600_000;
const MAX_TEXT = 500;

// Every process must share both secrets. Without flags or environment, the first process makes them
// up and puts them in its environment, which node:cluster workers inherit.
if (!process.env.NOTIFY_KEY && cluster.isPrimary && !process.argv.some((a) => a.startsWith('--notify-key'))) {
  process.env.NOTIFY_KEY = randomBytes(18).toString('base64url');
  console.error(`notifications: POST /notify takes "Authorization: Bearer ${process.env.NOTIFY_KEY}"`);
  console.error('  (made up for this run: give --notify-key or NOTIFY_KEY to choose it)');
}
process.env.NOTIFICATIONS_SECRET ??= randomBytes(32).toString('base64url');

const topicOf = (user) => `user.${user}`;

function json(response, status, value) {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(value));
}

function bearer(request) {
  return /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
}

function parseBody(body) {
  try {
    const value = JSON.parse(body);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

runApp({
  name: 'notifications',
  directory: new URL('.', import.meta.url),
  defaultPort: 8085,
  flags: {
    secret: { type: 'string' },
    'notify-key': { type: 'string' },
    'token-ttl': { type: 'string', default: '3600' },
  },
  hubOptions: (args) => {
    const secret = args.secret ?? process.env.NOTIFICATIONS_SECRET;
    /** The user a connection's token names, or undefined (checked again at every subscribe). */
    const userOf = (connection) => {
      try {
        return verifyToken(secret, tokenFromUrl(connection.request?.url)).user;
      } catch {
        return undefined;
      }
    };
    return {
      topicOptions: (topic) =>
        topic.startsWith('user.') ? { historySize: HISTORY, historyTtlMs: HISTORY_TTL_MS } : undefined,
      canSubscribe: (topic, connection) => {
        const user = userOf(connection);
        return user !== undefined && (topic === topicOf(user) || topic.startsWith(`${topicOf(user)}.`));
      },
      // Notifications come from server code only.
      canPublish: () => false,
    };
  },
  // Runs for each new connection before the hub sees it: a string refuses it (close 1008, that reason).
  admit: (request, args) => {
    try {
      verifyToken(args.secret ?? process.env.NOTIFICATIONS_SECRET, tokenFromUrl(request.url));
      return undefined;
    } catch (error) {
      if (error instanceof TokenError) return error.message;
      throw error;
    }
  },
  setup: ({ hub, args, route }) => {
    const secret = args.secret ?? process.env.NOTIFICATIONS_SECRET;
    const notifyKey = args['notify-key'] ?? process.env.NOTIFY_KEY;
    const tokenTtlMs = Number(args['token-ttl']) * 1000;
    if (!(tokenTtlMs >= 1000)) throw new Error(`bad --token-ttl ${args['token-ttl']}`);

    route('POST', '/login', (_request, response, body) => {
      const user = parseBody(body)?.user;
      if (typeof user !== 'string' || !USER_ID.test(user)) {
        return json(response, 400, { error: 'user: 1 to 32 of a-z, 0-9, _ and -' });
      }
      const expires = Date.now() + tokenTtlMs;
      json(response, 200, { user, expires, token: signToken(secret, user, expires) });
    });

    route('GET', '/inbox', async (request, response) => {
      let user;
      try {
        ({ user } = verifyToken(secret, bearer(request)));
      } catch (error) {
        return json(response, 401, { error: error.message, reason: error.reason });
      }
      const history = await hub.history(topicOf(user), { limit: 50 });
      const notifications = history.ok
        ? history.publications.map(({ offset, epoch, data }) => ({
            offset,
            epoch,
            data: JSON.parse(String(data)),
          }))
        : [];
      json(response, 200, { user, position: history.position, notifications });
    });

    route('POST', '/notify', async (request, response, body) => {
      const key = bearer(request);
      if (key === undefined || !sameSecret(key, notifyKey)) {
        return json(response, 401, { error: 'POST /notify needs Authorization: Bearer NOTIFY_KEY' });
      }
      const { user, text } = parseBody(body) ?? {};
      if (typeof user !== 'string' || !USER_ID.test(user)) return json(response, 400, { error: 'bad user' });
      if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT) {
        return json(response, 400, { error: `text: 1 to ${MAX_TEXT} characters` });
      }
      try {
        const position = await hub.publish(topicOf(user), JSON.stringify({ text, time: Date.now() }));
        json(response, 202, position);
      } catch (error) {
        // The broker is down (Redis restarting): nothing was published; the caller may retry.
        json(response, 503, { error: error.message });
      }
    });
  },
});
