// The page headless Chromium loads for the interop tests. It drives the browser's own WebSocket and
// keeps an event log the test reads through page.evaluate. Messages are summarized by type, length and
// SHA-256 (crypto.subtle: 127.0.0.1 is a secure context) so 16 MiB never crosses the CDP channel.
export const BROWSER_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>fullduplex interop</title>
<script>
const sockets = [];
const log = [];

function pattern(size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

window.openSocket = (url, protocols) => new Promise((resolve, reject) => {
  const socket = new WebSocket(url, protocols);
  socket.binaryType = 'arraybuffer';
  const id = sockets.push(socket) - 1;
  socket.onopen = () => resolve({ id, protocol: socket.protocol, extensions: socket.extensions });
  socket.onerror = () => log.push({ id, event: 'error' });
  socket.onmessage = async (event) => {
    if (typeof event.data === 'string') {
      const bytes = new TextEncoder().encode(event.data);
      log.push({ id, event: 'message', type: 'text', length: bytes.length, sha256: await sha256(bytes),
        text: event.data.length <= 256 ? event.data : undefined });
    } else {
      log.push({ id, event: 'message', type: 'binary', length: event.data.byteLength, sha256: await sha256(event.data) });
    }
  };
  socket.onclose = (event) => {
    log.push({ id, event: 'close', code: event.code, reason: event.reason, wasClean: event.wasClean });
    reject(new Error('closed before open: ' + event.code));
  };
});

window.sendText = (id, text) => sockets[id].send(text);
window.sendBinary = (id, bytes) => sockets[id].send(new Uint8Array(bytes));
window.sendPattern = (id, size) => sockets[id].send(pattern(size));
window.closeSocket = (id, code, reason) => sockets[id].close(code, reason);

/** Waits (bounded) for the first logged event of socket id with that name, and removes it. */
window.nextEvent = (id, name, timeoutMs) => new Promise((resolve, reject) => {
  const deadline = Date.now() + timeoutMs;
  const poll = () => {
    const index = log.findIndex((entry) => entry.id === id && entry.event === name);
    if (index >= 0) return resolve(log.splice(index, 1)[0]);
    if (Date.now() > deadline) return reject(new Error('no ' + name + ' event: ' + JSON.stringify(log)));
    setTimeout(poll, 10);
  };
  poll();
});
</script>
<p>fullduplex interop page</p>
`;
