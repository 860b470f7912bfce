// The ceiling: a raw `net` server that speaks no WebSocket at all. The load generator's upgrade request
// is echoed back verbatim (its blank line ends the "handshake" just as a 101 head would), then:
//   echo       every byte goes back to its sender, so replies are the client's own masked frames;
//   broadcast  every byte from one socket is written to every other socket past its handshake.
// An idle socket here is the floor for per-connection memory: one accepted socket and one listener.
import { createServer, type Socket } from 'node:net';
import { announceListening, parseServerOptions } from './server-options.js';

const options = parseServerOptions(process.argv.slice(2));
const headEnd = Buffer.from('\r\n\r\n');

const open = new Set<Socket>();

function broadcast(from: Socket, chunk: Buffer): void {
  for (const socket of open) if (socket !== from) socket.write(chunk);
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => socket.destroy());
  if (options.mode === 'echo') {
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
    return;
  }
  // Broadcast: echo the request head to its sender only, then fan out everything after it.
  let head: Buffer | null = Buffer.alloc(0) as Buffer;
  socket.on('data', (chunk: Buffer) => {
    if (head === null) {
      broadcast(socket, chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf(headEnd);
    if (end === -1) return;
    socket.write(head.subarray(0, end + 4));
    const rest = head.subarray(end + 4);
    head = null;
    open.add(socket);
    if (rest.length > 0) broadcast(socket, rest);
  });
  socket.on('close', () => open.delete(socket));
});

server.listen(options.port, options.host, () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  announceListening(options.host, address.port);
});
