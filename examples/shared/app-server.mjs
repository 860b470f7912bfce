// runApp(spec): what every example server shares. One HTTP server on one port serves the example's
// own static files at /, the hub client's ES modules at /client/*, the shared browser helpers at
// /shared/*, the example's own routes, and takes WebSocket upgrades for the hub (HubEndpoint: the
// hub protocol on any path, plain clients on /topics/NAME). Flags: --port, --host, --redis URL (a
// RedisBroker, so several processes share topics; without it one process, MemoryBroker) and
// --workers N (node:cluster; N > 1 needs --redis). Prints `listening on http://HOST:PORT` when ready;
// SIGINT/SIGTERM close every connection with 1001, run the example's cleanup and exit.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'fullduplex';
import { createHub, HubEndpoint } from 'fullduplex/hub';
import { openBroker } from './open-broker.mjs';
import { serveFile } from './static-files.mjs';
import { announceToPrimary, onPrimaryShutdown, runWorkers } from './workers.mjs';

const CLIENT_DIR = dirname(fileURLToPath(import.meta.resolve('fullduplex/client')));
const SHARED_BROWSER_DIR = new URL('./browser/', import.meta.url);
const MAX_BODY_BYTES = 64 * 1024;
const SHUTDOWN_GRACE_MS = 3000;

const COMMON_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string', default: '127.0.0.1' },
  redis: { type: 'string' },
  workers: { type: 'string', default: '1' },
  'presence-ttl': { type: 'string' }, // seconds; the broker's default when absent
  help: { type: 'boolean', default: false },
};

function integer(value, flag, min, max) {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new Error(`--${flag} takes an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return number;
}

function usage(spec) {
  const own = Object.entries(spec.flags ?? {})
    .map(([name, option]) => ` [--${name} ${option.default ?? ''}]`)
    .join('');
  return `node examples/${spec.name}/server.mjs [--port ${spec.defaultPort}] [--host 127.0.0.1] [--redis redis://HOST:PORT] [--workers N] [--presence-ttl SECONDS]${own}`;
}

/** Reads a request body of at most MAX_BODY_BYTES as text; undefined (after a 413) when larger. */
async function readBody(request, response) {
  const chunks = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      response.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
      response.end(`a body is at most ${MAX_BODY_BYTES} bytes\n`);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Routes added by the example: exact paths, or prefixes written `/path/*`. */
function routeTable() {
  const routes = [];
  return {
    add(method, path, handler) {
      const prefix = path.endsWith('/*') ? path.slice(0, -1) : undefined;
      routes.push({ method: method.toUpperCase(), path, prefix, handler });
    },
    find(method, pathname) {
      return routes.find(
        (route) =>
          route.method === method &&
          (route.prefix === undefined ? route.path === pathname : pathname.startsWith(route.prefix)),
      );
    },
  };
}

function notFound(response) {
  response.writeHead(404, { 'content-type': 'text/plain' });
  response.end('not found\n');
}

/** The HTTP side: example routes first, then /client/*, /shared/*, then the example's own files. */
function httpHandler(spec, routes, onError) {
  return async (request, response) => {
    try {
      const { pathname } = new URL(request.url ?? '/', 'http://localhost');
      const route = routes.find(request.method, pathname);
      if (route) {
        const body =
          request.method === 'GET' || request.method === 'HEAD' ? '' : await readBody(request, response);
        if (body !== undefined) await route.handler(request, response, body);
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
        response.end('method not allowed\n');
        return;
      }
      let served;
      if (pathname.startsWith('/client/')) {
        served = await serveFile(CLIENT_DIR, pathname.slice('/client'.length), request, response);
      } else if (pathname.startsWith('/shared/')) {
        served = await serveFile(SHARED_BROWSER_DIR, pathname.slice('/shared'.length), request, response);
      } else {
        served = await serveFile(spec.directory, pathname, request, response);
      }
      if (!served) notFound(response);
    } catch (error) {
      onError(error);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    }
  };
}

/**
 * Hands a new connection to the hub, unless `spec.admit(request, args)` returns a reason to refuse it:
 * then it is closed with 1008 and that reason before the hub says anything. A browser can read a close
 * reason but not the status of a refused handshake, and the hub client takes 1008 before its welcome
 * as final (`unauthorized`) rather than retrying.
 */
function admit(spec, args, endpoint, connection, onError) {
  let refusal;
  try {
    refusal = spec.admit?.(connection.request, args);
  } catch (error) {
    onError(error);
    connection.close(1011, 'internal error');
    return;
  }
  if (refusal === undefined) endpoint.accept(connection);
  else connection.close(1008, String(refusal).slice(0, 120));
}

/** One process: the hub on its broker, the HTTP and WebSocket server, the example's setup. */
async function serveOneProcess(spec, args) {
  const port = integer(args.port ?? String(spec.defaultPort), 'port', 0, 65535);
  const presenceTtlMs =
    args['presence-ttl'] === undefined
      ? undefined
      : integer(args['presence-ttl'], 'presence-ttl', 1, 3600) * 1000;
  const logError = (error) => console.error(`${spec.name}: ${error?.stack ?? error}`);
  const processLabel = `pid ${process.pid}`;

  const opened = await openBroker(args.redis, { presenceTtlMs });
  const hub = createHub({
    onError: logError,
    ...(spec.hubOptions?.(args, { processLabel }) ?? {}),
    ...(opened.broker ? { broker: opened.broker } : {}),
  });
  hub.onStateChange((state, error) => {
    console.error(`${spec.name}: broker ${state}${error ? `: ${error.message}` : ''}`);
  });
  const endpoint = new HubEndpoint(hub);
  const routes = routeTable();
  const http = createServer(httpHandler(spec, routes, logError));
  const serverOptions =
    typeof spec.serverOptions === 'function' ? spec.serverOptions(args) : spec.serverOptions;
  const wss = new WebSocketServer({
    ...serverOptions,
    ...endpoint.serverOptions(),
    onConnection: (connection) => admit(spec, args, endpoint, connection, logError),
  });
  wss.attach(http);
  const cleanup = await spec.setup?.({ hub, args, route: routes.add, processLabel, server: wss });

  await new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, args.host, resolve);
  });
  const address = http.address();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  if (cluster.isWorker) announceToPrimary(url);
  else console.log(`listening on ${url}`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    http.close();
    try {
      await cleanup?.();
      await wss.close({ code: 1001, reason: 'server shutting down', timeout: SHUTDOWN_GRACE_MS });
      endpoint.close();
      await hub.close();
      await opened.close();
    } catch (error) {
      logError(error);
      process.exitCode = 1;
    }
    http.closeAllConnections();
    // A timer or socket an example forgot must not keep a stopped server alive.
    setTimeout(() => process.exit(), 1000).unref();
    if (cluster.isWorker) cluster.worker?.disconnect();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  if (cluster.isWorker) onPrimaryShutdown(shutdown);
}

/**
 * Runs an example server (see APPS conventions in the README's Examples section):
 * `{ name, directory, defaultPort, flags?, hubOptions?(args, { processLabel }), serverOptions? (an
 * object or a function of args), admit?(request, args), setup?({ hub, args, route, processLabel,
 * server }) }`. `admit` may refuse a connection (see admit above). `setup` may return a cleanup
 * function, run at shutdown before the hub closes. `route(method, path, (request, response, body)
 * => ...)` adds an HTTP endpoint (`body` is the request body as text); a path ending in `/*` matches
 * every path under it.
 */
export async function runApp(spec) {
  let args;
  try {
    ({ values: args } = parseArgs({ options: { ...COMMON_FLAGS, ...spec.flags }, strict: true }));
    if (args.help) {
      console.log(usage(spec));
      return;
    }
    const workers = integer(args.workers, 'workers', 1, 64);
    if (workers > 1 && args.redis === undefined) {
      throw new Error('--workers N > 1 needs --redis: workers share topics only through Redis');
    }
    if (workers > 1 && cluster.isPrimary) {
      process.exitCode = await runWorkers(spec.name, workers, SHUTDOWN_GRACE_MS);
      return;
    }
    await serveOneProcess(spec, args);
  } catch (error) {
    console.error(`${spec.name}: ${error.message}\nusage: ${usage(spec)}`);
    // A Redis client or a half-started server would keep the process alive.
    process.exit(2);
  }
}
