// A collaborative text editor: every page edits a Yjs document, publishes its edits on the topic
// `editor.NAME` and applies everyone else's; Yjs merges concurrent edits so every page ends with the
// same text. The server serves the page and Yjs, answers a joining page with the merged document
// (GET /doc/NAME) and keeps the topic's history holding the whole document (see document-store.mjs).
//
//   node examples/editor/server.mjs [--port 8086] [--history 1000] [--history-ttl 604800]
//                                   [--snapshot-every 100] [--ping 25]
//   node examples/editor/server.mjs --workers 2 --redis redis://127.0.0.1:6379
import { readFileSync } from 'node:fs';
import { runApp } from '../shared/app-server.mjs';
import { DocumentStore } from './document-store.mjs';
import { DOCUMENT_NAME, PEOPLE_SUFFIX, TOPIC_PREFIX } from './messages.js';
import { importMapOf, vendorFiles } from './vendor.mjs';

const COMPACT_INTERVAL_MS = 1000;
/** A page's whole document goes out as one publication after the server lost the topic. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

function integerFlag(args, name, min) {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} takes an integer >= ${min}`);
  return value;
}

function isDocumentTopic(topic) {
  return topic.startsWith(TOPIC_PREFIX) && DOCUMENT_NAME.test(topic.slice(TOPIC_PREFIX.length));
}

function isPeopleTopic(topic) {
  return topic.endsWith(PEOPLE_SUFFIX) && isDocumentTopic(topic.slice(0, -PEOPLE_SUFFIX.length));
}

/** @type {DocumentStore | undefined} set up once the hub exists */
let store;

runApp({
  name: 'editor',
  directory: new URL('.', import.meta.url),
  defaultPort: 8086,
  flags: {
    history: { type: 'string', default: '1000' },
    'history-ttl': { type: 'string', default: String(7 * 24 * 3600) },
    'snapshot-every': { type: 'string', default: '100' },
    // Seconds between the hub's pings; a page that hears nothing for twice that reconnects.
    ping: { type: 'string', default: '25' },
  },
  hubOptions: (args) => ({
    topic: {
      historySize: integerFlag(args, 'history', 10),
      historyTtlMs: integerFlag(args, 'history-ttl', 1) * 1000,
      // A page that cannot keep up is closed; it reconnects and recovers every edit from history
      // instead of silently missing some.
      backpressure: 'close',
    },
    pingInterval: integerFlag(args, 'ping', 1) * 1000,
    limits: { maxMessageBytes: MAX_MESSAGE_BYTES, maxTopicsPerConnection: 10 },
    // Who is here: live only, and a slow page may miss a caret move (the next one replaces it).
    topicOptions: (topic) =>
      isPeopleTopic(topic) ? { historySize: 0, backpressure: 'drop-newest' } : undefined,
    canSubscribe: (topic) => {
      if (isPeopleTopic(topic)) return true;
      if (!isDocumentTopic(topic)) return false;
      // A page of this process has the document open: keep its history compacted from here.
      store?.watch(topic);
      return true;
    },
    canPublish: (topic) => isDocumentTopic(topic) || isPeopleTopic(topic),
  }),
  setup: async ({ hub, args, route, processLabel }) => {
    const snapshotEvery = integerFlag(args, 'snapshot-every', 1);
    if (snapshotEvery * 3 > integerFlag(args, 'history', 10)) {
      throw new Error('--history must be at least 3 times --snapshot-every, so it always holds a snapshot');
    }
    store = new DocumentStore(hub, { snapshotEvery });
    const page = readFileSync(new URL('./index.html', import.meta.url), 'utf8');
    const vendor = vendorFiles(importMapOf(page));

    route('GET', '/vendor/*', (request, response) => {
      const file = vendor.get(new URL(request.url, 'http://localhost').pathname);
      if (file === undefined) {
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end('not found\n');
        return;
      }
      response.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'max-age=3600',
      });
      response.end(file);
    });

    /** The document NAME of /doc/NAME[/suffix], or undefined (after a 400) when it is not one. */
    const documentName = (request, response, suffix = '') => {
      const { pathname } = new URL(request.url, 'http://localhost');
      const name = pathname.endsWith(suffix)
        ? pathname.slice('/doc/'.length, pathname.length - suffix.length)
        : '';
      if (DOCUMENT_NAME.test(name)) return name;
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.end('a document name is 1 to 40 letters, digits, _ or -\n');
      return undefined;
    };
    const unavailable = (response, error) => {
      response.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' });
      response.end(`the document cannot be read now: ${error.message}\n`);
    };

    // The document as this process has merged it, and the position to subscribe from.
    route('GET', '/doc/*', async (request, response) => {
      const name = documentName(request, response);
      if (name === undefined) return;
      let state;
      try {
        state = await store.state(TOPIC_PREFIX + name);
      } catch (error) {
        return unavailable(response, error);
      }
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(
        JSON.stringify({
          position: state.position,
          update: Buffer.from(state.update).toString('base64'),
          snapshotEvery,
          server: processLabel,
        }),
      );
    });

    // A page saw `snapshotEvery` updates pass since the last snapshot: compact now rather than at
    // the next timer round, so fast typing cannot push the last snapshot out of the history.
    route('POST', '/doc/*', async (request, response) => {
      const name = documentName(request, response, '/compact');
      if (name === undefined) return;
      try {
        await store.compactNow(TOPIC_PREFIX + name);
      } catch (error) {
        return unavailable(response, error);
      }
      response.writeHead(204);
      response.end();
    });

    let compacting = false;
    const timer = setInterval(async () => {
      if (compacting) return;
      compacting = true;
      await store.compact();
      compacting = false;
    }, COMPACT_INTERVAL_MS);
    return () => clearInterval(timer);
  },
});
