// A fullduplex server whose hooks fail on demand, run as its own process so a test can see that no
// hook's throw or rejection ends it. The request path picks the hook and how it fails:
// /HOOK/throw or /HOOK/reject; /echo echoes; /iterate echoes with `for await` in an async onConnection.
// Prints `listening PORT`, `onError MESSAGE` for each error the server's or a connection's onError
// gets, and `warning MESSAGE` for each process warning (errors no handler took).
// Usage: node hook-server.mjs record|none|throw   (what the onError handlers do)
import { jsonCodec, WebSocketServer } from '../../../dist/index.js';

const onErrorMode = process.argv[2] ?? 'record';

function fail(mode, name) {
  const error = new Error(`${name} ${mode}`);
  if (mode === 'throw') throw error;
  return new Promise((_, reject) => setImmediate(() => reject(error)));
}

/** The hook and mode a request asks for: ['onMessage', 'throw'], or [] for none. */
function planOf(url) {
  const [, hook, mode] = /^\/([A-Za-z]+)\/(throw|reject)/.exec(url ?? '') ?? [];
  return hook === undefined ? [] : [hook, mode];
}

function firstLine(error) {
  return String(error instanceof Error ? error.message : error).split('\n')[0];
}

const onError =
  onErrorMode === 'none'
    ? undefined
    : (error) => {
        console.log(`onError ${firstLine(error)}`);
        if (onErrorMode === 'throw') throw new Error(`onError itself failed after ${firstLine(error)}`);
      };

process.on('warning', (warning) => {
  const line = warning.message.split('\n')[0];
  console.log(`warning ${line}`);
});

function hookFor(name, request) {
  const [hook, mode] = planOf(request.url);
  return hook === name ? fail(mode, name) : undefined;
}

const server = new WebSocketServer({
  onError,
  path: (pathname) => (pathname.startsWith('/path/') ? hookFor('path', { url: pathname }) : true),
  origins: (_origin, request) => hookFor('origins', request) ?? true,
  authorize: (request) => hookFor('authorize', request) ?? true,
  subprotocols: (offered, request) => hookFor('subprotocols', request) ?? offered[0],
  connection: { maxBufferedBytes: 1024 },
  onConnection(connection) {
    const url = connection.request?.url ?? '';
    if (onError !== undefined) connection.onError(onError);
    if (url === '/echo') {
      connection.onMessage((message) => connection.send(message.data));
      return undefined;
    }
    if (url === '/iterate') {
      return (async () => {
        for await (const message of connection) await connection.write(message.data);
      })();
    }
    const [hook, mode] = planOf(url);
    const failing = () => fail(mode, hook);
    switch (hook) {
      case 'onConnection':
        return failing();
      case 'validator':
        return (async () => {
          const codec = jsonCodec({ validate: failing });
          await connection.readValue(codec);
        })();
      case 'onMessage':
        connection.onMessage(failing);
        break;
      case 'onRawMessage':
        connection.onRawMessage(failing);
        break;
      case 'onPing':
        connection.onPing(failing);
        break;
      case 'onPong':
        connection.onPong(failing);
        connection.ping().catch(() => {});
        break;
      case 'onDrain':
        connection.onDrain(failing);
        connection.send(Buffer.alloc(4096)); // over maxBufferedBytes until flushed: onDrain follows
        break;
      case 'onDrop':
        connection.onDrop(failing);
        connection.send(Buffer.alloc(4096));
        connection.send(Buffer.alloc(16), { backpressure: 'drop-newest' }); // over the bound: dropped
        break;
      case 'connectionOnError':
        // The connection's own onError fails too: reported, never called again for its own error.
        connection.onError(() => fail(mode, 'connection onError'));
        connection.onMessage(() => fail('throw', 'listener before connection onError'));
        break;
      default:
        connection.close(4404, 'unknown path');
    }
    return undefined;
  },
});

const { port } = await server.listen(0, '127.0.0.1');
console.log(`listening ${port}`);
