// A WebSocket client that reads at about BYTES_PER_SECOND (default 1024): its socket stays paused and a
// timer takes a few bytes every 100 ms, so TCP's window closes and the server must hold or drop the rest.
// Prints `open`, then `read TOTAL` every second. Never sends anything after the handshake.
// Usage: node slow-reader.mjs ws://127.0.0.1:PORT/ [BYTES_PER_SECOND]
import { rawHandshake } from './raw-handshake.mjs';

const url = process.argv[2];
const perSecond = Number(process.argv[3] ?? 1024);
const { socket, rest } = await rawHandshake(url);
let total = rest.length;
console.log('open');
const perTick = Math.max(1, Math.round(perSecond / 10));
setInterval(() => {
  // read(n) returns null while fewer than n bytes are buffered: then take what there is.
  const chunk = socket.read(perTick) ?? socket.read();
  if (chunk !== null) total += chunk.length;
}, 100);
setInterval(() => console.log(`read ${total}`), 1000);
socket.on('error', (error) => console.error(`error ${error.message}`));
socket.on('close', () => {
  console.log(`closed ${total}`);
  process.exit(0);
});
