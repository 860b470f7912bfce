// The bar to beat: a `ws` WebSocketServer written the way its README suggests. Run with the environment
// variable WS_NO_BUFFER_UTIL=1 for the plain JavaScript build; without it ws loads `bufferutil` when
// installed (ws 8, lib/buffer-util.js).
//   echo       each message goes back to its sender with the same type;
//   broadcast  each message goes to every other open client, as a loop of send().
import { WebSocket, WebSocketServer } from 'ws';
import { announceListening, parseServerOptions } from './server-options.js';

const options = parseServerOptions(process.argv.slice(2));

// ws's own defaults for permessage-deflate (threshold 1 KiB, context takeover, async zlib).
const server = new WebSocketServer({
  host: options.host,
  port: options.port,
  perMessageDeflate: options.compress,
});

server.on('connection', (socket) => {
  socket.on('error', () => socket.terminate());
  if (options.mode === 'echo') {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    return;
  }
  socket.on('message', (data, isBinary) => {
    for (const client of server.clients) {
      if (client !== socket && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    }
  });
});

server.on('listening', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  announceListening(options.host, address.port);
});
