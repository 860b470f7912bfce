// A WebSocket client (the `ws` package) that echoes every message it gets. Run as a child process so
// a test can freeze it (SIGSTOP) or kill it (SIGKILL). Prints `open` once connected and
// `closed CODE` when the connection ends, then exits.
// Usage: node echo-client.mjs ws://127.0.0.1:PORT/path
import WebSocket from 'ws';

const url = process.argv[2];
if (!url) {
  console.error('usage: echo-client.mjs URL');
  process.exit(2);
}
// ws answers pings with pongs on its own (autoPong), so this peer is alive for any heartbeat.
const socket = new WebSocket(url, { perMessageDeflate: false });
socket.on('open', () => console.log('open'));
socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
socket.on('error', (error) => console.error(`error ${error.message}`));
socket.on('close', (code) => {
  console.log(`closed ${code}`);
  process.exit(0);
});
