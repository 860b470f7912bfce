// Raw TCP exchanges for handshake tests: send exact bytes, collect the answer until the server closes.
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** Everything the server sent, as latin1. */
  readonly text: string;
  readonly status: number;
  /** Header fields by lower-case name (last one wins). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function parseAnswer(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const lines = head.split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { text, status, headers, body: end === -1 ? '' : text.slice(end + 4) };
}

/** Opens a TCP connection to 127.0.0.1:port. */
export function openRaw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Collects what arrives on `socket` until it closes (bounded by `timeoutMs`, then destroyed). */
export function readUntilClosed(socket: Socket, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks).toString('latin1')));
    });
  });
}

/** Sends `request` and returns the whole answer once the server closes the connection. */
export async function rawRequest(
  port: number,
  request: string | Buffer,
  timeoutMs = 5000,
): Promise<RawAnswer> {
  const socket = await openRaw(port);
  const answer = readUntilClosed(socket, timeoutMs);
  socket.write(request);
  return answer;
}

/** Reads until the first blank line (a handshake response head) and returns it; the socket stays open. */
export function readHead(socket: Socket, timeoutMs = 5000): Promise<{ answer: RawAnswer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => done(new Error('no response head in time')), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end !== -1) done(undefined, end);
    };
    const done = (error?: Error, end = 0): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      if (error) reject(error);
      else
        resolve({
          answer: parseAnswer(buffered.subarray(0, end + 4).toString('latin1')),
          rest: buffered.subarray(end + 4),
        });
    };
    socket.on('data', onData);
  });
}

export function upgradeRequest(path = '/', extra: Record<string, string> = {}, host = '127.0.0.1'): string {
  const fields: Record<string, string> = {
    Host: host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  let text = `GET ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(fields)) if (value !== '') text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/** Resolves with at least `count` bytes: `already` plus what arrives (bounded by `timeoutMs`). */
export function readBytes(socket: Socket, already: Buffer, count: number, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = already;
    const timer = setTimeout(
      () => finish(new Error(`only ${buffered.length} of ${count} bytes arrived`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= count) finish();
    };
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      if (error) reject(error);
      else resolve(buffered);
    };
    if (buffered.length >= count) {
      finish();
      return;
    }
    socket.on('data', onData);
    socket.resume();
  });
}
