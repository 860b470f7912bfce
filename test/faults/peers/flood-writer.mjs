// A WebSocket client that sends TOTAL bytes as masked binary messages of SIZE bytes as fast as the
// socket drains (it respects write()'s backpressure, so what it holds itself stays small).
// With `discard` it reads and throws away what the server sends; with `never-read` it reads nothing.
// Prints `open`, then `sent ACCEPTED` when all was taken, or `stalled ACCEPTED` when the socket did not
// drain for STALL_MS (default 1000): the server stopped reading and TCP pushed back.
// Usage: node flood-writer.mjs ws://127.0.0.1:PORT/ TOTAL SIZE discard|never-read [STALL_MS]
import { once } from 'node:events';
import { maskedBinaryFrame, rawHandshake } from './raw-handshake.mjs';

const [url, totalText, sizeText, readMode, stallText] = process.argv.slice(2);
const total = Number(totalText);
const size = Number(sizeText);
const stallMs = Number(stallText ?? 1000);
const { socket } = await rawHandshake(url);
socket.on('error', (error) => console.error(`error ${error.message}`));
socket.on('close', () => {
  console.log('closed');
  process.exit(0);
});
if (readMode === 'discard') socket.on('data', () => {});
console.log('open');

const frame = maskedBinaryFrame(size);
let accepted = 0;
let sent = 0;
while (sent < total) {
  sent += size;
  if (socket.write(frame)) {
    accepted = sent;
    continue;
  }
  const drained = once(socket, 'drain').then(() => true);
  let timer;
  const stalled = new Promise((resolve) => {
    timer = setTimeout(() => resolve(false), stallMs);
  });
  const ok = await Promise.race([drained, stalled]);
  clearTimeout(timer);
  if (!ok) {
    console.log(`stalled ${accepted}`);
    // Stay connected (still not reading) until the test kills us.
    await new Promise(() => {});
  }
  accepted = sent;
}
console.log(`sent ${accepted}`);
// Keep the connection open (and reading, in discard mode) until the test ends it.
await new Promise(() => {});
