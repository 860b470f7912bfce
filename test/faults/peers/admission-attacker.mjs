// An attacker on the server's handshake admission: COUNT raw TCP sockets to 127.0.0.1:PORT, each
// reopened at once whenever the server closes it.
//   silent     sends nothing at all
//   slowloris  sends an upgrade request one byte per second (it never completes in time)
// Source addresses: FIRST (one address) or FIRST+N (N consecutive loopback addresses, sockets dealt
// round robin). Prints "ready" once every socket has connected once, then a summary line when it
// stops: on SIGTERM, or by itself after SECONDS.
// Usage: node admission-attacker.mjs PORT MODE COUNT FIRST[+N] SECONDS
import { connect } from 'node:net';

const [portText, mode, countText, sourceText, secondsText] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
if (mode !== 'silent' && mode !== 'slowloris') throw new Error(`unknown mode ${mode}`);

const [first, spreadText] = (sourceText ?? '127.0.0.2').split('+');
const spread = Number(spreadText ?? 1);
const base = (first ?? '').split('.').map(Number);
/** The n-th address counting from FIRST (the last octet carries into the third). */
function source(index) {
  const n = (base[3] ?? 0) + (index % spread);
  return `${base[0]}.${base[1]}.${(base[2] ?? 0) + Math.floor(n / 256)}.${n % 256}`;
}

const request = Buffer.from(
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);

const answers = new Map();
let opened = 0;
let connectedOnce = 0;
const everConnected = new Uint8Array(count);
let stopping = false;
const sockets = new Set();

function open(index) {
  if (stopping) return;
  const socket = connect({ port, host: '127.0.0.1', localAddress: source(index) });
  sockets.add(socket);
  let status = 'none';
  let sent = 0;
  let trickle;
  socket.on('connect', () => {
    opened++;
    if (everConnected[index] === 0) {
      everConnected[index] = 1;
      if (++connectedOnce === count) console.log('ready');
    }
    if (mode === 'slowloris') {
      socket.write(request.subarray(0, ++sent));
      trickle = setInterval(() => {
        if (sent < request.length) socket.write(request.subarray(sent, ++sent));
      }, 1000);
    }
  });
  socket.on('data', (chunk) => {
    if (status === 'none') status = chunk.toString('latin1', 9, 12);
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    clearInterval(trickle);
    sockets.delete(socket);
    answers.set(status, (answers.get(status) ?? 0) + 1);
    setImmediate(() => open(index)); // reopened at once
  });
}

function stop() {
  if (stopping) return;
  stopping = true;
  for (const socket of sockets) socket.destroy();
  const summary = [...answers].map(([status, n]) => `${status}:${n}`).join(',');
  console.log(`done opened=${opened} answers=${summary}`);
  setImmediate(() => process.exit(0));
}

process.on('SIGTERM', stop);
setTimeout(stop, Number(secondsText) * 1000);
for (let index = 0; index < count; index++) open(index);
