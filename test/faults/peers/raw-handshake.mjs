// The opening handshake over a raw `net` socket (RFC 6455 4.1), for peers that then speak frames by hand.
import { connect } from 'node:net';

/**
 * Connects to ws://127.0.0.1:PORT/PATH and resolves once the 101 arrived, with the socket (paused,
 * no 'data' listener) and the bytes that followed the response head.
 */
export function rawHandshake(url) {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    socket.setNoDelay(true);
    let buffered = Buffer.alloc(0);
    const onData = (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.pause();
      const head = buffered.subarray(0, end).toString('latin1');
      if (!head.startsWith('HTTP/1.1 101')) {
        reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
        socket.destroy();
        return;
      }
      resolve({ socket, rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(
      `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
}

/** One masked binary frame (RFC 6455 5.2, 5.3) of `size` bytes, built once and written many times. */
export function maskedBinaryFrame(size) {
  const extra = size < 126 ? 0 : size < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + extra + 4 + size);
  frame[0] = 0x82;
  if (extra === 0) frame[1] = 0x80 | size;
  else if (extra === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(size, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(size), 2);
  }
  // Mask 0x5a5a5a5a over a payload of 0x5a bytes: the wire carries zeros, the server sees 0x5a.
  frame.fill(0x5a, 2 + extra, 2 + extra + 4);
  return frame;
}
