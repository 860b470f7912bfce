// The Socket.IO 4 side of the hub benchmark: one process of a Socket.IO deployment sharing rooms
// through @socket.io/redis-adapter (its documented node-redis setup). A client joins the room named
// in its handshake query (`room`); a `publish` event is emitted to that room on every process.
//   node .build/bench/hub/socketio-hub-server.js REDIS_URL
// Prints `listening ws://127.0.0.1:PORT/` once ready; exits on SIGTERM/SIGINT.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';

const redisUrl = process.argv[2];
if (!redisUrl) {
  console.error('usage: socketio-hub-server.js REDIS_URL');
  process.exit(2);
}

const pubClient = createClient({ url: redisUrl });
const subClient = pubClient.duplicate();
pubClient.on('error', () => {});
subClient.on('error', () => {});
await Promise.all([pubClient.connect(), subClient.connect()]);

const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  adapter: createAdapter(pubClient, subClient),
  // Same limit as the hub's default maximum message; 128 B messages are far below it either way.
  maxHttpBufferSize: 1 << 20,
});
io.on('connection', (socket) => {
  const room = socket.handshake.query.room;
  if (typeof room === 'string') void socket.join(room);
  socket.on('publish', (room: unknown, data: unknown) => {
    if (typeof room === 'string') io.to(room).emit('message', data);
  });
  // A round trip after connecting: the join above is done by then.
  socket.on('ready', (ack: unknown) => {
    if (typeof ack === 'function') ack();
  });
});

await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
console.log(`listening ws://127.0.0.1:${(http.address() as AddressInfo).port}/`);

const stop = (): void => {
  io.close();
  void Promise.allSettled([pubClient.quit(), subClient.quit()]).then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
